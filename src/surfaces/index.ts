// Surfaces: each one an encoder of the pipeline's one event union (streamed), and a renderer
// of its collected run (not streamed). No surface adds meaning of its own.
export type { Failure, StreamEncoder } from "./types.js";
export { SurfaceInputError } from "./types.js";
export { stagedEncoder, stagedCompletion } from "./staged.js";
export { openAIChatEncoder, openAIChatCompletion, reasoningContent, type OpenAIChatContext } from "./openai-chat.js";
export { responsesEncoder, responsesObject, type ResponsesContext } from "./responses.js";
export { createCitationScanner, findCitations, MAX_CITATIONS, type Citation } from "./citations.js";
export { responsesRequestSchema, translateResponsesRequest, type ResponsesRequestBody, type TranslatedResponsesRequest } from "./responses-request.js";
export { aiSdkEncoder, aiSdkUsage, type AiSdkContext, type AiSdkMessageMetadata, type AiSdkUsage } from "./ai-sdk.js";
export { aiSdkRequestSchema, translateAiSdkRequest, MAX_UI_ID_CHARS, type AiSdkRequestBody, type TranslatedAiSdkRequest } from "./ai-sdk-request.js";

package io.modelmux;

/** Why generation ended. */
public enum FinishReason {
  /** The model ended its answer (an end-of-sequence token, or the backend's "stop"). */
  STOP,
  /** A stop sequence of the request was generated; it is not part of the text. */
  STOP_SEQUENCE,
  /** The request's maximum number of tokens, or the model's context, was reached. */
  LENGTH,
  /** The backend stopped because of its content policy. */
  CONTENT_FILTER,
  /** The model asked to call a tool. */
  TOOL_CALLS,
  /** The caller cancelled a stream; the text is what had been generated until then. */
  CANCELLED,
  /** The backend gave a reason ModelMux does not know. */
  OTHER
}

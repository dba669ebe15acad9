/**
 * Wire code shared by the HTTP adapters: the Server-Sent Events parser ({@link
 * io.modelmux.http.internal.SseEventParser}) used for OpenAI-compatible servers (vLLM, TGI, Ollama,
 * llama.cpp) and, from {@code adapter-gemini}, for Gemini's {@code alt=sse} streams.
 *
 * <p>Not API: the package is public only so that {@code adapter-gemini} can reuse it. Anything here
 * may change in any release; users and adapter authors must not depend on it.
 */
@NullMarked
package io.modelmux.http.internal;

import org.jspecify.annotations.NullMarked;

/**
 * OpenAI-compatible backends (type {@code openai}): vLLM, TGI, Ollama's {@code /v1} and the
 * llama.cpp server, over {@code java.net.http}, with SSE streaming and replica load balancing.
 * {@link io.modelmux.http.OpenAiModelFactory} is found through {@code META-INF/services}; the
 * rest is package-private, and {@code io.modelmux.http.internal} holds the SSE parser that
 * adapter-gemini shares.
 */
package io.modelmux.http;

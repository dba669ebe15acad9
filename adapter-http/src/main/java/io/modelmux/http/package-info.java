/**
 * OpenAI-compatible backends (type {@code openai}): vLLM, TGI, Ollama's {@code /v1} and the
 * llama.cpp server, over {@code java.net.http}, with SSE streaming and replica load balancing.
 *
 * <p>This module holds only its build so far; the adapter arrives with the adapter-http issue.
 */
package io.modelmux.http;

/**
 * Google Gemini (type {@code gemini}) over its REST API: {@code generateContent}, {@code
 * streamGenerateContent} (server-sent events, read with adapter-http's parser) and {@code
 * countTokens}. {@link io.modelmux.gemini.GeminiModelFactory} is found through {@code
 * META-INF/services}; everything else is package-private, and Gemini's error bodies are mapped to
 * ModelMux's exceptions in one class, {@code GeminiErrors}.
 */
@NullMarked
package io.modelmux.gemini;

import org.jspecify.annotations.NullMarked;

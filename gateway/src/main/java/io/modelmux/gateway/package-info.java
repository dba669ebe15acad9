/**
 * An OpenAI-compatible HTTP gateway in front of a {@link io.modelmux.MultiModelManager}:
 * {@link io.modelmux.gateway.Gateway} serves chat and text completions (whole, or streamed as
 * server-sent events), the model list, health and Prometheus metrics, so that any OpenAI client
 * reaches ModelMux's routes, memory scheduling and fallbacks without Java.
 */
@NullMarked
package io.modelmux.gateway;

import org.jspecify.annotations.NullMarked;

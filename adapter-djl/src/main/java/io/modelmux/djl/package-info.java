/**
 * Local inference in the JVM's process on DJL and PyTorch (type {@code djl}): TorchScript causal
 * language models and the built-in tiny transformer LM, with a KV cache (tiny LM), dynamic
 * batching of concurrent requests, sampling and stop sequences, device choice and a
 * {@link io.modelmux.spi.DeviceProbe} for CUDA and MPS.
 *
 * <p>{@link io.modelmux.djl.DjlModelFactory} is found through {@code META-INF/services}; the
 * rest is package-private. {@link io.modelmux.djl.TinyLmTrainer} trains a tiny LM on a text
 * file.
 */
package io.modelmux.djl;

/**
 * Local inference in the JVM's process on DJL and PyTorch (type {@code djl}): TorchScript causal
 * language models and the built-in tiny transformer LM, with dynamic batching and device choice.
 *
 * <p>This module holds only its build so far; the adapter arrives with the local model issue.
 */
package io.modelmux.djl;

/**
 * The unified-memory scheduler ({@link io.modelmux.internal.memory.MemoryScheduler}), the state
 * it owns for each model ({@link io.modelmux.internal.memory.Residency}) and a request's hold on
 * a resident model ({@link io.modelmux.internal.memory.Lease}). Not API.
 */
@NullMarked
package io.modelmux.internal.memory;

import org.jspecify.annotations.NullMarked;

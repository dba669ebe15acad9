/**
 * The response cache: {@link io.modelmux.internal.cache.ResponseCache} (Caffeine) keyed by
 * {@link io.modelmux.internal.cache.CacheKey}, the whole typed request after resolution.
 */
@NullMarked
package io.modelmux.internal.cache;

import org.jspecify.annotations.NullMarked;

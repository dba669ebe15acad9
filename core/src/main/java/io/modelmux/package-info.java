/**
 * ModelMux's user API: {@link io.modelmux.MultiModelManager} (many models behind one API),
 * {@link io.modelmux.GenerateRequest} and {@link io.modelmux.GenerateResponse}, streaming
 * ({@link io.modelmux.StreamListener}, {@link io.modelmux.StreamHandle},
 * {@link io.modelmux.TokenStream}), the {@code models.yaml} configuration
 * ({@link io.modelmux.ModelMuxConfig}) and the exception family rooted at
 * {@link io.modelmux.ModelMuxException}.
 *
 * <p>Public methods reject null arguments with {@link NullPointerException} unless documented
 * otherwise; optional values are returned as {@link java.util.Optional}; collections are never
 * null.
 */
@NullMarked
package io.modelmux;

import org.jspecify.annotations.NullMarked;

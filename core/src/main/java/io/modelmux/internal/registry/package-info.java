/**
 * The registered models ({@link io.modelmux.internal.registry.RegisteredModel}), their names,
 * aliases and default ({@link io.modelmux.internal.registry.ModelRegistry}). Not API.
 */
@NullMarked
package io.modelmux.internal.registry;

import org.jspecify.annotations.NullMarked;

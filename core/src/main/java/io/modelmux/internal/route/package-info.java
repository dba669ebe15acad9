/**
 * Planning: the {@link io.modelmux.internal.route.Router} turns a request into a {@link
 * io.modelmux.internal.route.Plan} through an immutable snapshot of every name a request may
 * use. Not API.
 */
@NullMarked
package io.modelmux.internal.route;

import org.jspecify.annotations.NullMarked;

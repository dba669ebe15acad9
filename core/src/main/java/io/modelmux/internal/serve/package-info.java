/**
 * The request path ({@link io.modelmux.internal.serve.RequestPath}) and what a stream needs on
 * it: the session between adapter and listener, and the blocking token stream. Not API.
 */
@NullMarked
package io.modelmux.internal.serve;

import org.jspecify.annotations.NullMarked;

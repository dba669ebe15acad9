/**
 * The manager's implementation: the registry and its lock-free resolution snapshot, leases and
 * draining, streams. Not API: anything here may change in any release.
 */
package io.modelmux.internal;

/**
 * Reading {@code models.yaml}: a YAML tree that keeps every value's line and column, the schema
 * binding into {@link io.modelmux.ModelMuxConfig}, {@code ${VAR}} interpolation, and the
 * parsing of sizes and durations. Not API.
 */
package io.modelmux.internal.config;

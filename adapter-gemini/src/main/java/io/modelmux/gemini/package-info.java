/**
 * Google Gemini (type {@code gemini}) over its REST API: {@code generateContent} and
 * {@code streamGenerateContent}.
 *
 * <p>This module holds only its build so far; the adapter arrives with the adapter-gemini issue.
 */
package io.modelmux.gemini;

/**
 * The part of the OpenAPI document that comes from the running configuration: one operation per declared
 * aggregate, merged into the hand-written {@code openapi.yaml} at start.
 */
package dev.gather.openapi;

/** What {@code gather check --plan} explains: how each aggregate will run, worked out from its config alone. */
package dev.gather.plan;

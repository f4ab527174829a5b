/**
 * The operator console: pages served from the jar at {@code /console} and the data they show, read from what
 * gather already keeps (its meters, the upstreams' breakers, the jobs table) plus one thing of its own, a bounded
 * ring of recent aggregate requests that is filled only while a console page is open.
 */
package dev.gather.console;

/**
 * Progress output: a redrawn bar on a terminal, one line per epoch otherwise.
 */
package io.llt.cli.progress;

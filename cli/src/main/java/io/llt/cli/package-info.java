/**
 * The {@code llt} command line; {@link io.llt.cli.Main} is the only place that exits the process.
 */
package io.llt.cli;

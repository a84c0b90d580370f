/**
 * The subcommands: train, eval, validate, list, bench.
 */
package io.llt.cli.command;

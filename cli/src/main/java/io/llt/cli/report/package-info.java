/**
 * The memory-profiling report of {@code llt profile}: the immutable {@link
 * io.llt.cli.report.ProfileReport} records (one run, a local schedule against its backprop
 * baseline, per-block estimate against measured peak, an optional depth sweep) and the {@link
 * io.llt.cli.report.ReportWriter} that writes them as {@code report.json}, {@code report.md} and a
 * self-contained {@code report.html} with inline SVG charts. Bytes are {@code long} everywhere and
 * are converted to MiB only when rendered.
 */
package io.llt.cli.report;

package io.llt.cli.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.llt.cli.report.ProfileReport.BlockMemory;
import io.llt.cli.report.ProfileReport.DepthPoint;
import io.llt.cli.report.ProfileReport.Metadata;
import io.llt.cli.report.ProfileReport.Phase;
import io.llt.cli.report.ProfileReport.ScheduleProfile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Writes a {@link ProfileReport} as three files in a directory.
 *
 * <ul>
 *   <li>{@code report.json}: the complete report, field names as in the records, bytes as integers;
 *       the machine-readable form that tools should read.
 *   <li>{@code report.md}: summary, per-block estimate against measured peak with the ratio, the
 *       depth sweep when present, and the metadata, as Markdown tables in MiB.
 *   <li>{@code report.html}: the same tables plus charts (per-block estimated against measured
 *       peak, local against backprop totals, native memory over time, and peak against depth when a
 *       sweep is present), drawn with JFreeChart as inline SVG, so the one file works offline and
 *       without JavaScript.
 * </ul>
 *
 * <p>Each file is written to a uniquely named temporary file in the same directory and then moved
 * over its target with {@link StandardCopyOption#ATOMIC_MOVE}, so a reader sees either the old or
 * the new file, never a partial one, and no temporary file is left behind, even when writing fails.
 *
 * <p>Chart rendering needs AWT; the writer sets {@code java.awt.headless=true} unless the property
 * is already set. Stateless and thread-safe.
 */
public final class ReportWriter {
  /** File name of the JSON report. */
  public static final String JSON_FILE = "report.json";

  /** File name of the Markdown report. */
  public static final String MARKDOWN_FILE = "report.md";

  /** File name of the HTML report. */
  public static final String HTML_FILE = "report.html";

  private static final String CSS =
      """
      body { font-family: system-ui, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif;
        margin: 0; background: #fff; color: #222; }
      main { max-width: 1000px; margin: 0 auto; padding: 24px; }
      h1 { font-size: 1.6em; }
      h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
      table { border-collapse: collapse; margin: 0.5em 0 1em; }
      th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: left; }
      th { background: #f3f3f3; }
      td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
      figure.chart { margin: 1em 0 2em; }
      figure.chart svg { display: block; width: 100%; height: auto; }
      figcaption { color: #555; font-size: 0.9em; margin-top: 4px; }
      pre.config { background: #f7f7f7; border: 1px solid #ddd; padding: 8px; overflow: auto; }
      code { background: #f3f3f3; padding: 0 3px; }
      .note { color: #555; }
      """;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  static {
    ensureHeadless();
  }

  private ReportWriter() {}

  /**
   * Writes {@code report.json}, {@code report.md} and {@code report.html} into {@code dir},
   * creating the directory if needed and replacing files of the same names.
   *
   * @param report the report
   * @param dir the output directory
   * @return the three files written, in the order above
   * @throws IOException if a file cannot be written; files already moved into place stay
   */
  public static List<Path> write(ProfileReport report, Path dir) throws IOException {
    ensureHeadless();
    Files.createDirectories(dir);
    String json = toJson(report);
    String markdown = toMarkdown(report);
    String html = toHtml(report);
    List<Path> written = new ArrayList<>();
    written.add(writeAtomically(dir.resolve(JSON_FILE), json));
    written.add(writeAtomically(dir.resolve(MARKDOWN_FILE), markdown));
    written.add(writeAtomically(dir.resolve(HTML_FILE), html));
    return List.copyOf(written);
  }

  /**
   * Returns the report as indented JSON, as written to {@code report.json}.
   *
   * @param report the report
   * @return the JSON text, ending with a newline
   */
  public static String toJson(ProfileReport report) {
    try {
      return JSON.writeValueAsString(report) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialize the profile report to JSON", e);
    }
  }

  /**
   * Returns the report as Markdown, as written to {@code report.md}.
   *
   * @param report the report
   * @return the Markdown text
   */
  public static String toMarkdown(ProfileReport report) {
    Metadata m = report.metadata();
    StringBuilder md = new StringBuilder();
    md.append("# Memory profile: ").append(mdText(title(report))).append("\n\n");
    md.append("Created ")
        .append(mdText(m.createdAt()))
        .append(" by llt ")
        .append(mdText(m.engineVersion()))
        .append(" (")
        .append(mdText(m.commit()))
        .append("), backend ")
        .append(mdText(m.backend()))
        .append(". Sizes in MiB (1 MiB = 1,048,576 bytes); exact byte counts are in `")
        .append(JSON_FILE)
        .append("`.\n\n");
    md.append("## Summary\n\n").append(summaryTable(report).markdown()).append('\n');
    for (int i = 0; i < 2; i++) {
      ScheduleProfile side = i == 0 ? report.local() : report.backprop();
      String label = ReportCharts.label(side, i == 0);
      md.append("## Per-block memory: ").append(mdText(label)).append("\n\n");
      if (side.blocks().isEmpty()) {
        md.append("No per-block measurements.\n\n");
      } else {
        md.append(blockTable(side).markdown()).append('\n');
      }
    }
    md.append(
        "Ratio is measured peak over estimated peak: above 1 the estimator under-counts, below 1 it"
            + " over-counts.\n\n");
    if (report.hasDepthSweep()) {
      md.append("## Depth sweep\n\n").append(depthTable(report).markdown()).append('\n');
    }
    md.append("## Metadata\n\n").append(metadataTable(m).markdown()).append('\n');
    md.append("### Data files\n\n");
    if (m.dataFileSha256().isEmpty()) {
      md.append("No data files (synthetic data).\n\n");
    } else {
      md.append(hashTable(m).markdown()).append('\n');
    }
    md.append("### Resolved config\n\n");
    String fence = m.resolvedConfigYaml().contains("```") ? "~~~~" : "```";
    md.append(fence).append("yaml\n").append(m.resolvedConfigYaml());
    if (!m.resolvedConfigYaml().endsWith("\n")) {
      md.append('\n');
    }
    md.append(fence).append('\n');
    return md.toString();
  }

  /**
   * Returns the report as one self-contained HTML page with inline SVG charts, as written to {@code
   * report.html}.
   *
   * <p>Every chart is a {@code <figure class="chart">} holding one {@code <svg>}: three charts, and
   * a fourth (peak against depth) when the report has a depth sweep.
   *
   * @param report the report
   * @return the HTML text
   */
  public static String toHtml(ProfileReport report) {
    ensureHeadless();
    Metadata m = report.metadata();
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.append("<title>llt memory profile: ").append(html(title(report))).append("</title>\n");
    h.append("<style>\n").append(CSS).append("</style>\n</head>\n<body>\n<main>\n");
    h.append("<h1>Memory profile: ").append(html(title(report))).append("</h1>\n");
    h.append("<p class=\"lead\">Created ")
        .append(html(m.createdAt()))
        .append(" by llt ")
        .append(html(m.engineVersion()))
        .append(" (")
        .append(html(m.commit()))
        .append("), backend ")
        .append(html(m.backend()))
        .append(". Sizes in MiB (1 MiB = 1,048,576 bytes); exact byte counts are in <code>")
        .append(JSON_FILE)
        .append("</code>.</p>\n");
    h.append("<h2>Summary</h2>\n").append(summaryTable(report).html());
    h.append("<h2>Charts</h2>\n");
    for (ReportCharts.Chart chart : ReportCharts.all(report)) {
      h.append("<figure class=\"chart\" id=\"")
          .append(chart.id())
          .append("\">\n")
          .append(chart.svg())
          .append("\n<figcaption>")
          .append(html(chart.caption()))
          .append("</figcaption>\n</figure>\n");
    }
    for (int i = 0; i < 2; i++) {
      ScheduleProfile side = i == 0 ? report.local() : report.backprop();
      String label = ReportCharts.label(side, i == 0);
      h.append("<h2>Per-block memory: ").append(html(label)).append("</h2>\n");
      if (side.blocks().isEmpty()) {
        h.append("<p>No per-block measurements.</p>\n");
      } else {
        h.append(blockTable(side).html());
      }
    }
    h.append(
        "<p class=\"note\">Ratio is measured peak over estimated peak: above 1 the estimator"
            + " under-counts, below 1 it over-counts.</p>\n");
    if (report.hasDepthSweep()) {
      h.append("<h2>Depth sweep</h2>\n").append(depthTable(report).html());
    }
    h.append("<h2>Metadata</h2>\n").append(metadataTable(m).html());
    h.append("<h3>Data files</h3>\n");
    if (m.dataFileSha256().isEmpty()) {
      h.append("<p>No data files (synthetic data).</p>\n");
    } else {
      h.append(hashTable(m).html());
    }
    h.append("<h3>Resolved config</h3>\n<pre class=\"config\">")
        .append(html(m.resolvedConfigYaml()))
        .append("</pre>\n");
    h.append("</main>\n</body>\n</html>\n");
    return h.toString();
  }

  private static String title(ProfileReport report) {
    return "local (" + report.local().schedule() + ") vs " + report.backprop().schedule();
  }

  private static Table summaryTable(ProfileReport report) {
    ScheduleProfile l = report.local();
    ScheduleProfile b = report.backprop();
    Table t =
        new Table(
            List.of("", "local", "backprop", "local / backprop"), List.of(false, true, true, true));
    t.row(List.of("schedule", l.schedule(), b.schedule(), ""));
    t.row(
        List.of(
            "peak native (MiB)",
            mib(l.peakNativeBytes()),
            mib(b.peakNativeBytes()),
            ratio(l.peakNativeBytes(), b.peakNativeBytes())));
    t.row(
        List.of(
            "peak JVM heap (MiB)",
            mib(l.peakHeapBytes()),
            mib(b.peakHeapBytes()),
            ratio(l.peakHeapBytes(), b.peakHeapBytes())));
    t.row(
        List.of(
            "samples/s",
            decimal(l.samplesPerSecond(), 1),
            decimal(b.samplesPerSecond(), 1),
            l.samplesPerSecond() == 0 || b.samplesPerSecond() == 0
                ? "n/a"
                : decimal(l.samplesPerSecond() / b.samplesPerSecond(), 2)));
    t.row(List.of("steps", Long.toString(l.steps()), Long.toString(b.steps()), ""));
    t.row(
        List.of(
            "blocks",
            Integer.toString(l.blocks().size()),
            Integer.toString(b.blocks().size()),
            ""));
    return t;
  }

  private static Table blockTable(ScheduleProfile side) {
    List<String> header = new ArrayList<>();
    List<Boolean> numeric = new ArrayList<>();
    header.addAll(
        List.of(
            "block",
            "estimated fixed (MiB)",
            "estimated peak (MiB)",
            "measured peak (MiB)",
            "ratio"));
    numeric.addAll(List.of(false, true, true, true, true));
    for (Phase p : Phase.values()) {
      header.add(p.id() + " peak (MiB)");
      numeric.add(true);
    }
    Table t = new Table(header, numeric);
    for (BlockMemory b : side.blocks()) {
      List<String> row = new ArrayList<>();
      row.add(b.blockId());
      row.add(mib(b.estimatedFixedBytes()));
      row.add(mib(b.estimatedPeakBytes()));
      row.add(mib(b.measuredPeakBytes()));
      row.add(ratio(b.measuredPeakBytes(), b.estimatedPeakBytes()));
      for (Phase p : Phase.values()) {
        Long bytes = b.phasePeakBytes().get(p);
        row.add(bytes == null ? "n/a" : mib(bytes));
      }
      t.row(row);
    }
    return t;
  }

  private static Table depthTable(ProfileReport report) {
    Table t =
        new Table(
            List.of(
                "depth (blocks)",
                "local peak (MiB)",
                "backprop peak (MiB)",
                "local / backprop",
                "local activation + working (MiB)"),
            List.of(true, true, true, true, true));
    for (DepthPoint p : report.depthSweep()) {
      t.row(
          List.of(
              Integer.toString(p.depth()),
              mib(p.localPeakBytes()),
              mib(p.backpropPeakBytes()),
              ratio(p.localPeakBytes(), p.backpropPeakBytes()),
              mib(p.localActivationAndWorkingBytes())));
    }
    return t;
  }

  private static Table metadataTable(Metadata m) {
    Table t = new Table(List.of("field", "value"), List.of(false, false));
    t.row(List.of("engine version", m.engineVersion()));
    t.row(List.of("commit", m.commit()));
    t.row(List.of("backend", m.backend()));
    t.row(List.of("JVM", m.jvm()));
    t.row(List.of("OS", m.os()));
    t.row(List.of("created at", m.createdAt()));
    return t;
  }

  private static Table hashTable(Metadata m) {
    Table t = new Table(List.of("file", "SHA-256"), List.of(false, false));
    for (Map.Entry<String, String> e : m.dataFileSha256().entrySet()) {
      t.row(List.of(e.getKey(), e.getValue()));
    }
    return t;
  }

  /** Formats bytes as MiB with two decimals. */
  static String mib(long bytes) {
    return decimal(bytes / ReportCharts.MIB, 2);
  }

  private static String ratio(long numerator, long denominator) {
    return denominator == 0 ? "n/a" : decimal((double) numerator / denominator, 2);
  }

  private static String decimal(double value, int digits) {
    return String.format(Locale.ROOT, "%." + digits + "f", value);
  }

  /** Escapes text for a Markdown table cell or paragraph. */
  private static String mdText(String s) {
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ");
  }

  /** Escapes text for HTML element content and double-quoted attributes. */
  private static String html(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /**
   * Writes {@code text} to a uniquely named temporary file beside {@code target}, then moves it
   * over {@code target} atomically; the temporary file is removed if anything fails.
   */
  private static Path writeAtomically(Path target, String text) throws IOException {
    Path tmp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
    try {
      Files.writeString(
          tmp,
          text,
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return target;
  }

  private static void ensureHeadless() {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  /** A table rendered both as Markdown and as HTML from the same cells. */
  private static final class Table {
    private final List<String> header;
    private final List<Boolean> numeric;
    private final List<List<String>> rows = new ArrayList<>();

    Table(List<String> header, List<Boolean> numeric) {
      this.header = List.copyOf(header);
      this.numeric = List.copyOf(numeric);
    }

    void row(List<String> cells) {
      if (cells.size() != header.size()) {
        throw new IllegalArgumentException(
            "row must have " + header.size() + " cells, found " + cells.size());
      }
      rows.add(List.copyOf(cells));
    }

    String markdown() {
      StringBuilder b = new StringBuilder();
      b.append('|');
      for (String h : header) {
        b.append(' ').append(mdText(h)).append(" |");
      }
      b.append("\n|");
      for (boolean n : numeric) {
        b.append(n ? " ---: |" : " --- |");
      }
      b.append('\n');
      for (List<String> row : rows) {
        b.append('|');
        for (String cell : row) {
          b.append(' ').append(mdText(cell)).append(" |");
        }
        b.append('\n');
      }
      return b.toString();
    }

    String html() {
      StringBuilder b = new StringBuilder("<table>\n<thead><tr>");
      for (int i = 0; i < header.size(); i++) {
        b.append(numeric.get(i) ? "<th class=\"num\">" : "<th>")
            .append(ReportWriter.html(header.get(i)))
            .append("</th>");
      }
      b.append("</tr></thead>\n<tbody>\n");
      for (List<String> row : rows) {
        b.append("<tr>");
        for (int i = 0; i < row.size(); i++) {
          b.append(numeric.get(i) ? "<td class=\"num\">" : "<td>")
              .append(ReportWriter.html(row.get(i)))
              .append("</td>");
        }
        b.append("</tr>\n");
      }
      return b.append("</tbody>\n</table>\n").toString();
    }
  }
}

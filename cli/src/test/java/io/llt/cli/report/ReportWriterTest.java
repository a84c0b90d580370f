package io.llt.cli.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llt.cli.report.ProfileReport.BlockMemory;
import io.llt.cli.report.ProfileReport.DepthPoint;
import io.llt.cli.report.ProfileReport.Metadata;
import io.llt.cli.report.ProfileReport.NativeSample;
import io.llt.cli.report.ProfileReport.Phase;
import io.llt.cli.report.ProfileReport.ScheduleProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ReportWriter}: JSON round trip, Markdown tables, HTML charts, atomic writes. */
class ReportWriterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MIB = 1024L * 1024L;

  /**
   * Where {@link #writesTheSampleReportForTheRenderCheck} leaves a report for the render script.
   */
  static final Path SAMPLE_DIR = Path.of("target", "profile-report-sample");

  @TempDir Path tmp;

  /** A report with a depth sweep and a backprop side above 4 GiB. */
  static ProfileReport sample(boolean withDepthSweep) {
    return sample(withDepthSweep, true);
  }

  /**
   * A sample report: four local blocks and one fused backprop block.
   *
   * @param withDepthSweep whether to include a three-point depth sweep
   * @param huge whether the backprop side is above 4 GiB, so that a narrowing to int or a
   *     floating-point rendering of bytes would show; otherwise tens of MiB, which charts better
   */
  static ProfileReport sample(boolean withDepthSweep, boolean huge) {
    Metadata metadata =
        new Metadata(
            "0.1.0-SNAPSHOT",
            "106141e",
            "cpu",
            "OpenJDK 17.0.15+6",
            "Linux 6.1 amd64",
            "2025-01-31T12:00:00Z",
            "run:\n  seed: 7\ntrainer:\n  schedule: simultaneous\n  batchSize: 128\n",
            Map.of(
                "train-images-idx3-ubyte.gz",
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"));
    List<BlockMemory> localBlocks = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      localBlocks.add(
          new BlockMemory(
              "b" + i,
              (i + 1) * MIB,
              (i + 3) * MIB,
              (i + 3) * MIB + MIB / 2,
              Map.of(
                  Phase.FORWARD,
                  (i + 2) * MIB,
                  Phase.UPDATE,
                  (i + 3) * MIB,
                  Phase.INFERENCE,
                  MIB)));
    }
    BlockMemory fused =
        huge
            ? new BlockMemory(
                "fused",
                5_000_000_000L,
                6_000_000_000L,
                6_300_000_000L,
                Map.of(Phase.FORWARD, 5_500_000_000L, Phase.UPDATE, 6_300_000_000L))
            : new BlockMemory(
                "fused",
                10 * MIB,
                40 * MIB,
                42 * MIB,
                Map.of(Phase.FORWARD, 30 * MIB, Phase.UPDATE, 42 * MIB));
    long backpropPeak = huge ? 6_400_000_000L : 64 * MIB;
    ScheduleProfile local =
        new ScheduleProfile(
            "simultaneous", 40 * MIB, 300 * MIB, 12_345.6, 200, localBlocks, ramp(40 * MIB, 20));
    ScheduleProfile backprop =
        new ScheduleProfile(
            "backprop",
            backpropPeak,
            310 * MIB,
            9_876.5,
            200,
            List.of(fused),
            ramp(backpropPeak, 25));
    List<DepthPoint> sweep =
        withDepthSweep
            ? List.of(
                new DepthPoint(2, 20 * MIB, 60 * MIB, 8 * MIB),
                new DepthPoint(4, 28 * MIB, 110 * MIB, 8 * MIB),
                new DepthPoint(8, 44 * MIB, 210 * MIB, 8 * MIB))
            : List.of();
    return new ProfileReport(metadata, local, backprop, sweep);
  }

  /** A rising then flat memory curve sampled every 50 ms. */
  private static List<NativeSample> ramp(long peakBytes, int n) {
    List<NativeSample> samples = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long bytes =
          i < n / 2 ? peakBytes * (i + 1) / (n / 2) : peakBytes - (i % 3) * (peakBytes / 50);
      samples.add(new NativeSample(i * 50L, bytes));
    }
    return samples;
  }

  private static List<String> filesIn(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  private static int count(String text, String needle) {
    Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  @Test
  void jsonRoundTripsWithIntegerBytes() throws IOException {
    ProfileReport report = sample(true);
    ReportWriter.write(report, tmp);

    JsonNode root = JSON.readTree(tmp.resolve("report.json").toFile());
    assertThat(root.path("local").path("peakNativeBytes").isIntegralNumber()).isTrue();
    assertThat(root.path("local").path("peakNativeBytes").asLong()).isEqualTo(40 * MIB);
    assertThat(root.path("backprop").path("peakNativeBytes").isIntegralNumber()).isTrue();
    assertThat(root.path("backprop").path("peakNativeBytes").asLong()).isEqualTo(6_400_000_000L);
    assertThat(root.path("local").path("blocks").size()).isEqualTo(4);
    assertThat(root.path("backprop").path("blocks").size()).isEqualTo(1);
    assertThat(root.path("depthSweep").size()).isEqualTo(3);
    assertThat(
            root.path("backprop")
                .path("blocks")
                .get(0)
                .path("phasePeakBytes")
                .path("update")
                .asLong())
        .isEqualTo(6_300_000_000L);
    assertThat(root.path("metadata").path("dataFileSha256").size()).isEqualTo(1);

    // Every field whose name ends in "Bytes" holds integers, at any depth (maps included).
    List<String> checked = new ArrayList<>();
    assertIntegerBytes(root, "", false, checked);
    assertThat(checked).hasSizeGreaterThan(20);

    // Only the record components are serialized (no derived getters such as the ratio).
    assertThat(root.path("local").path("blocks").get(0).has("measuredToEstimatedRatio")).isFalse();

    ProfileReport back = JSON.readValue(tmp.resolve("report.json").toFile(), ProfileReport.class);
    assertThat(back).isEqualTo(report);
  }

  private static void assertIntegerBytes(
      JsonNode node, String path, boolean bytes, List<String> checked) {
    if (node.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> f = fields.next();
        assertIntegerBytes(
            f.getValue(), path + "." + f.getKey(), bytes || f.getKey().endsWith("Bytes"), checked);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        assertIntegerBytes(node.get(i), path + "[" + i + "]", bytes, checked);
      }
    } else if (bytes) {
      assertThat(node.isIntegralNumber()).as(path + " = " + node).isTrue();
      checked.add(path);
    }
  }

  @Test
  void markdownHasTheTablesWithMibAndRatios() throws IOException {
    ReportWriter.write(sample(true), tmp);
    String md = Files.readString(tmp.resolve("report.md"));

    assertThat(md)
        .contains("| peak native (MiB) | 40.00 | 6103.52 | 0.01 |")
        .contains(
            "| block | estimated fixed (MiB) | estimated peak (MiB) | measured peak (MiB) | ratio"
                + " | forward peak (MiB) | update peak (MiB) | inference peak (MiB) |")
        // b0: fixed 1 MiB, estimate 3 MiB, measured 3.5 MiB, ratio 3.5 / 3.
        .contains("| b0 | 1.00 | 3.00 | 3.50 | 1.17 | 2.00 | 3.00 | 1.00 |")
        .contains("| b3 | 4.00 | 6.00 | 6.50 | 1.08 | 5.00 | 6.00 | 1.00 |")
        // fused: no inference phase measured.
        .contains("| fused | 4768.37 | 5722.05 | 6008.15 | 1.05 | 5245.21 | 6008.15 | n/a |")
        .contains("## Depth sweep")
        .contains("| 8 | 44.00 | 210.00 | 0.21 | 8.00 |")
        .contains("| engine version | 0.1.0-SNAPSHOT |")
        .contains(
            "| train-images-idx3-ubyte.gz |"
                + " 440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609 |")
        .contains("```yaml\nrun:\n  seed: 7\n");
    assertThat(Pattern.compile("(?m)^\\| (b\\d+|fused) \\|").matcher(md).results().count())
        .as("per-block rows")
        .isEqualTo(5);

    ReportWriter.write(sample(false), tmp);
    assertThat(Files.readString(tmp.resolve("report.md"))).doesNotContain("Depth sweep");
  }

  @Test
  void htmlHasOneInlineSvgChartPerExpectedChart() throws IOException {
    ReportWriter.write(sample(true), tmp);
    String html = Files.readString(tmp.resolve("report.html"));
    assertThat(count(html, "<figure class=\"chart\"")).isEqualTo(4);
    assertThat(count(html, "<svg")).isEqualTo(4);
    assertThat(html)
        .contains(
            "id=\"chart-block-peaks\"",
            "id=\"chart-peak-totals\"",
            "id=\"chart-native-over-time\"",
            "id=\"chart-peak-vs-depth\"")
        // titles, MiB axes and legend entries are drawn as SVG text
        .contains("Per-block peak memory: estimated vs measured", "Peak memory vs depth")
        .contains("peak native memory (MiB)", "native memory (MiB)", "elapsed time (s)")
        .contains("estimated peak", "measured peak", "local (simultaneous)", "backprop")
        // self-contained: no script, no external resource
        .doesNotContain("<script", "src=\"http", "href=\"http");

    ReportWriter.write(sample(false), tmp);
    String withoutSweep = Files.readString(tmp.resolve("report.html"));
    assertThat(count(withoutSweep, "<figure class=\"chart\"")).isEqualTo(3);
    assertThat(count(withoutSweep, "<svg")).isEqualTo(3);
    assertThat(withoutSweep).doesNotContain("chart-peak-vs-depth");
  }

  @Test
  void writesOnlyTheThreeFilesAndReplacesThemWithoutLeavingTemporaries() throws IOException {
    Path dir = tmp.resolve("nested").resolve("report");
    List<Path> written = ReportWriter.write(sample(true), dir);
    assertThat(written)
        .containsExactly(
            dir.resolve("report.json"), dir.resolve("report.md"), dir.resolve("report.html"));
    assertThat(filesIn(dir)).containsExactly("report.html", "report.json", "report.md");

    ReportWriter.write(sample(false), dir);
    assertThat(filesIn(dir)).containsExactly("report.html", "report.json", "report.md");
    assertThat(JSON.readTree(dir.resolve("report.json").toFile()).path("depthSweep").size())
        .isZero();
  }

  @Test
  void aFailedWriteLeavesNoTemporaryFile() throws IOException {
    // report.md is a non-empty directory: the move onto it fails after the temporary file exists.
    Files.createDirectories(tmp.resolve("report.md").resolve("occupied"));
    assertThatThrownBy(() -> ReportWriter.write(sample(true), tmp)).isInstanceOf(IOException.class);
    assertThat(filesIn(tmp)).containsExactly("report.json", "report.md");
  }

  @Test
  void recordsRejectBadValuesNamingTheFieldAndValue() {
    assertThatThrownBy(() -> new BlockMemory("b0", -1, 0, 0, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("estimatedFixedBytes must be >= 0, found -1");
    assertThatThrownBy(() -> new BlockMemory("b0", 0, 0, 0, Map.of(Phase.UPDATE, -5L)))
        .hasMessage("phasePeakBytes[update] must be >= 0, found -5");
    assertThatThrownBy(
            () -> new ScheduleProfile("local", 0, 0, Double.NaN, 0, List.of(), List.of()))
        .hasMessage("samplesPerSecond must be finite and >= 0, found NaN");
    assertThatThrownBy(
            () ->
                new ScheduleProfile(
                    "local",
                    0,
                    0,
                    1,
                    0,
                    List.of(),
                    List.of(new NativeSample(10, 1), new NativeSample(5, 1))))
        .hasMessage("samples must be in non-decreasing elapsedMillis, found 5 after 10");
    BlockMemory b0 = new BlockMemory("b0", 0, 0, 0, Map.of());
    assertThatThrownBy(
            () -> new ScheduleProfile("local", 0, 0, 1, 0, List.of(b0, b0), List.of()))
        .hasMessage("blocks must have distinct ids, found 'b0' twice");
    assertThatThrownBy(() -> new DepthPoint(0, 0, 0, 0)).hasMessage("depth must be >= 1, found 0");
    ProfileReport ok = sample(false);
    assertThatThrownBy(
            () ->
                new ProfileReport(
                    ok.metadata(),
                    ok.local(),
                    ok.backprop(),
                    List.of(new DepthPoint(4, 0, 0, 0), new DepthPoint(2, 0, 0, 0))))
        .hasMessage("depthSweep must be in strictly increasing depth, found 2 after 4");
    Metadata m = ok.metadata();
    assertThatThrownBy(
            () ->
                new Metadata(
                    m.engineVersion(),
                    m.commit(),
                    m.backend(),
                    m.jvm(),
                    m.os(),
                    "yesterday",
                    m.resolvedConfigYaml(),
                    m.dataFileSha256()))
        .hasMessageContaining("createdAt must be an ISO-8601 date-time")
        .hasMessageContaining("'yesterday'");
    assertThatThrownBy(
            () ->
                new Metadata(
                    m.engineVersion(),
                    m.commit(),
                    m.backend(),
                    m.jvm(),
                    m.os(),
                    m.createdAt(),
                    m.resolvedConfigYaml(),
                    Map.of("x.gz", "abc")))
        .hasMessage("dataFileSha256[x.gz] must be 64 hex digits, found 'abc'");
    assertThatThrownBy(() -> Phase.of("backward"))
        .hasMessage("phase must be one of forward, update, inference, found 'backward'");
  }

  /**
   * Leaves a report with a depth sweep in {@code cli/target/profile-report-sample} for {@code
   * scripts/check-report-render.sh}, which screenshots it in a headless browser.
   */
  @Test
  void writesTheSampleReportForTheRenderCheck() throws IOException {
    List<Path> written = ReportWriter.write(sample(true, false), SAMPLE_DIR);
    for (Path p : written) {
      assertThat(Files.size(p)).as(p.toString()).isPositive();
    }
  }
}

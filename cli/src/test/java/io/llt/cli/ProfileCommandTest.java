package io.llt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code llt profile} and the memory budget, end to end on the synthetic smoke config. */
class ProfileCommandTest {
  @TempDir Path tmp;

  @Test
  void profileWritesTheThreeReportFilesWithBothSchedulesAndTheDepthSweep() throws Exception {
    Path out = tmp.resolve("report");
    Cli r =
        Cli.run("profile", ValidateCommandTest.SMOKE, "--steps", "3", "--warmup", "1",
            "--depths", "1,3", "--out", out.toString());
    assertThat(r.exit).as(r.toString()).isZero();
    assertThat(r.out).contains("local/backprop", "report.html");
    JsonNode j = new ObjectMapper().readTree(out.resolve("report.json").toFile());
    assertThat(j.at("/local/peakNativeBytes").isIntegralNumber()).isTrue();
    assertThat(j.at("/local/peakNativeBytes").asLong()).isPositive();
    assertThat(j.at("/backprop/peakNativeBytes").asLong()).isPositive();
    assertThat(j.at("/local/blocks")).hasSize(2);
    assertThat(j.at("/backprop/blocks")).hasSize(1);
    JsonNode b1 = j.at("/local/blocks/0");
    assertThat(b1.get("blockId").asText()).isEqualTo("b1");
    // the measured training step is the estimate's workspace plus the fixed bytes, within 20%
    double ratio = b1.get("measuredPeakBytes").asDouble() / b1.get("estimatedPeakBytes").asDouble();
    assertThat(ratio).isBetween(0.8, 1.2);
    assertThat(j.at("/depthSweep")).hasSize(2);
    assertThat(j.at("/depthSweep/1/depth").asInt()).isEqualTo(3);
    assertThat(j.at("/metadata/resolvedConfigYaml").asText()).contains("mono-forward");
    assertThat(Files.readString(out.resolve("report.md"))).contains("b1", "b2");
    assertThat(Files.readString(out.resolve("report.html")).split("<svg", -1)).hasSize(5);
  }

  /**
   * A NoProp model cannot be its own backprop baseline: profile says so and takes the baseline's
   * config; every denoising block's measured step (DT, FM and CT) is its estimate within 20%.
   */
  @Test
  void noPropIsProfiledAgainstItsOwnBaselineConfig() throws Exception {
    String np = "../configs/smoke/noprop-synthetic.yaml";
    Cli refused = Cli.run("profile", np, "--steps", "2", "--out", tmp.resolve("x").toString());
    assertThat(refused.exit).as(refused.toString()).isEqualTo(2);
    assertThat(refused.err).contains("cannot be its own backprop baseline", "--baseline");
    Path out = tmp.resolve("noprop");
    Cli r =
        Cli.run("profile", np, "--steps", "3", "--warmup", "1", "--baseline",
            "../configs/smoke/noprop-synthetic-backprop.yaml", "--out", out.toString());
    assertThat(r.exit).as(r.toString()).isZero();
    JsonNode j = new ObjectMapper().readTree(out.resolve("report.json").toFile());
    assertThat(j.at("/local/blocks")).hasSize(3);
    assertThat(j.at("/backprop/blocks")).hasSize(1);
    for (JsonNode b : j.at("/local/blocks")) {
      double ratio = b.get("measuredPeakBytes").asDouble() / b.get("estimatedPeakBytes").asDouble();
      assertThat(ratio).as(b.get("blockId").asText()).isBetween(0.8, 1.2);
    }
    for (String variant : new String[] {"fm", "ct"}) {
      Path dir = tmp.resolve(variant);
      Cli f =
          Cli.run("profile", "../configs/smoke/noprop-" + variant + "-synthetic.yaml", "--steps",
              "3", "--warmup", "1", "--baseline", "../configs/smoke/noprop-synthetic-backprop.yaml",
              "--out", dir.toString());
      assertThat(f.exit).as(f.toString()).isZero();
      JsonNode one = new ObjectMapper().readTree(dir.resolve("report.json").toFile()).at("/local/blocks/0");
      assertThat(one.get("measuredPeakBytes").asDouble() / one.get("estimatedPeakBytes").asDouble())
          .as("the %s block", variant)
          .isBetween(0.8, 1.2);
    }
    Cli both =
        Cli.run("profile", np, "--baseline", "../configs/smoke/noprop-synthetic-backprop.yaml",
            "--depths", "2");
    assertThat(both.exit).isEqualTo(2);
    assertThat(both.err).contains("cannot be combined with --baseline");
  }

  @Test
  void aBudgetBelowTheEstimateStopsBeforeTrainingWithExitCode4() {
    Cli r =
        Cli.run("train", ValidateCommandTest.SMOKE, "--runs-dir", tmp.resolve("runs").toString(),
            "--set", "memory.budgetBytes=1000");
    assertThat(r.exit).as(r.toString()).isEqualTo(4);
    assertThat(r.err).contains("memory budget exceeded: estimated", "block 'b", "memory.budgetBytes 1000");
    assertThat(r.out).doesNotContain("epoch 1/");
  }
}

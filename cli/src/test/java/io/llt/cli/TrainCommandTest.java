package io.llt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llt.engine.config.ConfigLoader;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.TypeRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code llt train}, {@code --resume}, {@code eval} and {@code bench} end to end on the smoke configs. */
class TrainCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  private Path onlyRun(Path runs) throws IOException {
    try (Stream<Path> s = Files.list(runs)) {
      List<Path> all = s.collect(Collectors.toList());
      assertThat(all).hasSize(1);
      return all.get(0);
    }
  }

  @Test
  void everySmokeConfigTrainsEndToEnd() throws IOException {
    List<Path> smoke;
    try (Stream<Path> s = Files.list(Path.of("..", "configs", "smoke"))) {
      smoke = s.filter(p -> p.toString().endsWith(".yaml")).sorted().collect(Collectors.toList());
    }
    assertThat(smoke).isNotEmpty();
    for (Path config : smoke) {
      if (config.toString().contains("fashion-mnist")
          && !Files.exists(Path.of("/usr/share/datasets/fashion-mnist"))) {
        continue; // needs the dataset package, which .ci/run installs
      }
      Path runs = tmp.resolve(config.getFileName().toString());
      Cli r = Cli.run("train", config.toString(), "--runs-dir", runs.toString(), "--offline");
      assertThat(r.exit).as(config + "\n" + r).isZero();
      assertThat(r.out).contains("test accuracy");
    }
  }

  @Test
  void aGreedyRunSummarisesItsPhases() throws IOException {
    Path runs = tmp.resolve("phased");
    Cli r = Cli.run("train", "../configs/smoke/softhebb-synthetic.yaml", "--runs-dir", runs.toString());
    assertThat(r.exit).as(r.toString()).isZero();
    assertThat(r.out).contains("epoch 1/4 (block hebb)", "test -", "computing the frozen outputs");
    JsonNode phases = JSON.readTree(onlyRun(runs).resolve("summary.json").toFile()).get("phases");
    assertThat(phases).hasSize(2);
    assertThat(phases.get(0).get("blocks").asText()).isEqualTo("hebb");
    assertThat(phases.get(0).get("epochs").asInt()).isEqualTo(1);
    assertThat(phases.get(0).has("testAccuracy")).as("a SoftHebb phase has no scores").isFalse();
    assertThat(phases.get(0).get("finalLosses").get("hebb").asDouble()).isPositive();
    assertThat(phases.get(1).get("epochs").asInt()).isEqualTo(3);
    assertThat(phases.get(1).get("frozenFeatureSeconds").asDouble()).isPositive();
    assertThat(phases.get(1).get("testAccuracy").asDouble()).isGreaterThan(0.5);
  }

  @Test
  void aRunWritesConfigMetricsCheckpointsAndSummary() throws IOException {
    Path runs = tmp.resolve("runs");
    Cli r = Cli.run("train", ValidateCommandTest.SMOKE, "--runs-dir", runs.toString(), "--set", "trainer.epochs=3");
    assertThat(r.exit).as(r.toString()).isZero();
    assertThat(r.out).contains("epoch 1/3", "epoch 3/3", "test accuracy");
    Path run = onlyRun(runs);

    JsonNode s = JSON.readTree(run.resolve("summary.json").toFile());
    for (String field :
        List.of("name", "rule", "schedule", "dataset", "epochs", "batchSize", "testAccuracy",
            "samplesPerSecond", "peakNativeBytes", "wallSeconds", "engineCommit", "date")) {
      assertThat(s.has(field)).as("summary.json has " + field).isTrue();
    }
    assertThat(s.get("rule").asText()).isEqualTo("mono-forward");
    assertThat(s.get("schedule").asText()).isEqualTo("simultaneous");
    assertThat(s.get("epochs").asInt()).isEqualTo(3);
    assertThat(s.get("testAccuracy").asDouble()).isBetween(0.0, 1.0);
    assertThat(s.get("peakNativeBytes").asLong()).isPositive();

    List<String> metrics = Files.readAllLines(run.resolve("metrics.jsonl"));
    assertThat(metrics).hasSize(3 * 3); // two block lines and one epoch line per epoch
    assertThat(JSON.readTree(metrics.get(0)).get("block").asText()).isEqualTo("b1");
    assertThat(run.resolve("checkpoints/epoch-0003.ckpt")).exists();
    assertThat(run.resolve("checkpoints/epoch-0002.ckpt")).exists();
    assertThat(run.resolve("checkpoints/epoch-0001.ckpt")).as("only the newest 2 are kept").doesNotExist();

    // the resolved config loads back into an equal record, with the override applied
    ConfigLoader loader = new ConfigLoader(TypeRegistry.load());
    ExperimentConfig resolved = loader.load(run.resolve("config.yaml"), ExperimentConfig.class, List.of()).config();
    ExperimentConfig original =
        loader.load(Path.of(ValidateCommandTest.SMOKE), ExperimentConfig.class, List.of("trainer.epochs=3")).config();
    assertThat(resolved).isEqualTo(original);

    // eval reproduces the final test accuracy from the last checkpoint
    Cli e = Cli.run("eval", run.toString(), "--json", "--offline");
    assertThat(e.exit).as(e.toString()).isZero();
    assertThat(JSON.readTree(e.out).get("testAccuracy").asDouble()).isEqualTo(s.get("testAccuracy").asDouble());

    // --activity adds each block's output statistics on the first test examples
    Cli a = Cli.run("eval", run.toString(), "--json", "--offline", "--activity", "50");
    assertThat(a.exit).as(a.toString()).isZero();
    JsonNode aj = JSON.readTree(a.out);
    assertThat(aj.get("activityExamples").asInt()).isEqualTo(50);
    assertThat(aj.get("activity")).hasSize(2);
    JsonNode b1 = aj.get("activity").get(0);
    assertThat(b1.get("block").asText()).isEqualTo("b1");
    assertThat(b1.get("groups")).as("one row per example").hasSize(1);
    assertThat(b1.get("groups").get(0).get("silentRows").asDouble()).isBetween(0.0, 1.0);
    assertThat(b1.get("groups").get(0).get("meanActive").asDouble())
        .isBetween(0.0, b1.get("width").asDouble());
    Cli text = Cli.run("eval", run.toString(), "--offline", "--activity");
    assertThat(text.out).contains("activity on", "b2");
    assertThat(Cli.run("eval", run.toString(), "--offline", "--activity", "0").err)
        .contains("--activity: give a positive number");

    // --per-block: each block's own projection scores; the last block's are the "last" readout
    Cli p = Cli.run("eval", run.toString(), "--json", "--offline", "--per-block");
    assertThat(p.exit).as(p.toString()).isZero();
    JsonNode pj = JSON.readTree(p.out);
    assertThat(pj.get("perBlock")).hasSize(2);
    assertThat(pj.get("perBlock").get(0).get("block").asText()).isEqualTo("b1");
    assertThat(pj.get("perBlock").get(1).get("accuracy").get("scores").asDouble())
        .isEqualTo(pj.get("testReadouts").get("last").asDouble());
    assertThat(pj.get("perBlock").get(0).get("accuracy").get("scores").asDouble()).isBetween(0.0, 1.0);
    assertThat(Cli.run("eval", run.toString(), "--offline", "--per-block", "20").out)
        .contains("per-block accuracy on 20 test examples", "b1", "scores");
    assertThat(Cli.run("eval", run.toString(), "--offline", "--per-block", "-1").err)
        .contains("--per-block: give a positive number");
  }

  /**
   * A MAN run logs the version lag of every block's read of the next block's first layer: 0 under
   * the simultaneous schedule (the next block's pre-step parameters of the same batch), at least 0
   * and at most the queue's reach under the pipelined one; the last block reads nothing.
   */
  @Test
  void manLogsTheLagOfItsCrossBlockRead() throws IOException {
    for (String schedule : new String[] {"simultaneous", "pipelined"}) {
      Path runs = tmp.resolve("runs-" + schedule);
      Cli r =
          Cli.run("train", "../configs/smoke/man-synthetic.yaml", "--runs-dir", runs.toString(),
              "--set", "trainer.schedule=" + schedule);
      assertThat(r.exit).as(r.toString()).isZero();
      Path run;
      try (var dirs = Files.list(runs)) {
        run = dirs.findFirst().orElseThrow();
      }
      int reads = 0;
      for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
        JsonNode m = JSON.readTree(line);
        if (!"block".equals(m.get("kind").asText())) {
          continue;
        }
        if (m.get("block").asText().equals("top")) {
          assertThat(m.has("paramLag")).as(line).isFalse();
          continue;
        }
        reads++;
        long lag = m.get("paramLag").asLong();
        if (schedule.equals("simultaneous")) {
          assertThat(lag).as(line).isZero();
        } else {
          // a stage runs at most queueCapacity (2) batches ahead of the next, plus the one in hand
          assertThat(lag).as(line).isBetween(0L, 3L);
        }
      }
      assertThat(reads).isEqualTo(3 * 2);
    }
  }

  /**
   * A NoProp run prints every block's noise level and weight before training, and both its
   * readouts at the end; {@code llt eval} reports both again, the deterministic one exactly.
   */
  @Test
  void noPropReportsItsScheduleAndBothSamplingReadouts() throws IOException {
    Path runs = tmp.resolve("runs");
    Cli r = Cli.run("train", "../configs/smoke/noprop-synthetic.yaml", "--runs-dir", runs.toString());
    assertThat(r.exit).as(r.toString()).isZero();
    assertThat(r.out)
        .contains("note: model.blocks[2] ('t3'): NoProp block t = 3 of T = 3")
        .contains("at abar_T = 0.99984 (maxSignal 0.9999, not binding)")
        .contains("stochastic", "deterministic");
    Path run;
    try (var dirs = Files.list(runs)) {
      run = dirs.findFirst().orElseThrow();
    }
    JsonNode s = JSON.readTree(run.resolve("summary.json").toFile());
    assertThat(s.get("testReadouts").fieldNames()).toIterable().containsExactly("stochastic", "deterministic");
    assertThat(s.get("blockStepSeconds").fieldNames()).toIterable().containsExactly("t1", "t2", "t3");
    double steps = 0;
    for (JsonNode v : s.get("blockStepSeconds")) {
      assertThat(v.asDouble()).isPositive();
      steps += v.asDouble();
    }
    assertThat(steps).as("the blocks' step time within the run's").isLessThan(s.get("wallSeconds").asDouble());
    Cli e = Cli.run("eval", run.toString(), "--json", "--offline");
    assertThat(e.exit).as(e.toString()).isZero();
    JsonNode ev = JSON.readTree(e.out).get("testReadouts");
    assertThat(ev.get("deterministic").asDouble())
        .isEqualTo(s.get("testReadouts").get("deterministic").asDouble());
    assertThat(ev.get("stochastic").asDouble()).isBetween(0.0, 1.0);
    // --per-block: each block on both chains and at its own noise level; f_out on the last
    Cli p = Cli.run("eval", run.toString(), "--json", "--offline", "--per-block");
    assertThat(p.exit).as(p.toString()).isZero();
    JsonNode pb = JSON.readTree(p.out).get("perBlock");
    assertThat(pb).hasSize(3);
    assertThat(pb.get(0).get("accuracy").fieldNames()).toIterable()
        .containsExactly("stochastic-chain", "deterministic-chain", "own-noise");
    assertThat(pb.get(2).get("accuracy").fieldNames()).toIterable()
        .containsExactly("stochastic-chain", "deterministic-chain", "own-noise", "stochastic", "deterministic");
    assertThat(pb.get(2).get("accuracy").get("deterministic").asDouble())
        .isEqualTo(s.get("testReadouts").get("deterministic").asDouble());
  }

  /** A config whose data cannot be loaded fails with one line and leaves no run directory. */
  @Test
  void aRunWhoseDataFailToLoadLeavesNoRunBehind() {
    Path runs = tmp.resolve("runs");
    Cli r =
        Cli.run(
            "train", "../configs/smoke/fashion-mnist-tiny.yaml", "--runs-dir", runs.toString(),
            "--offline", "--set", "data.path=" + tmp.resolve("nowhere"));
    assertThat(r.exit).as(r.toString()).isEqualTo(2);
    assertThat(r.err).contains("error: data.path", "does not exist");
    assertThat(r.out).doesNotContain("run: ");
    assertThat(runs).doesNotExist();
  }

  @Test
  void resumeAfterAnInterruptionGivesTheSameFinalParameters() throws IOException {
    Path runs = tmp.resolve("runs");
    Cli r = Cli.run("train", ValidateCommandTest.SMOKE, "--runs-dir", runs.toString(), "--set", "trainer.keepCheckpoints=0");
    assertThat(r.exit).as(r.toString()).isZero();
    Path run = onlyRun(runs);
    Path last = run.resolve("checkpoints/epoch-0003.ckpt");
    byte[] uninterrupted = Files.readAllBytes(last);
    String summary = Files.readString(run.resolve("summary.json"));
    // simulate a crash during epoch 3: its checkpoint, summary and metrics never got written
    Files.delete(last);
    Files.delete(run.resolve("summary.json"));
    List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
    Files.write(run.resolve("metrics.jsonl"), lines.subList(0, 6));

    Cli resumed = Cli.run("train", "--resume", run.toString());
    assertThat(resumed.exit).as(resumed.toString()).isZero();
    assertThat(resumed.out).contains("resuming after epoch 2").contains("epoch 3/3").doesNotContain("epoch 2/3");
    assertThat(Files.readAllBytes(last)).as("checkpoint after epoch 3").isEqualTo(uninterrupted);
    assertThat(Files.readAllLines(run.resolve("metrics.jsonl"))).hasSize(9);
    assertThat(JSON.readTree(run.resolve("summary.json").toFile()).get("testAccuracy"))
        .isEqualTo(JSON.readTree(summary).get("testAccuracy"));
  }

  /** Resuming in the middle of a greedy phase that trains on cached frozen features is exact. */
  @Test
  void resumeInsideACachedPhaseGivesTheSameFinalParameters() throws IOException {
    Path runs = tmp.resolve("phased-resume");
    Cli r =
        Cli.run("train", "../configs/smoke/softhebb-synthetic.yaml", "--runs-dir", runs.toString(),
            "--set", "trainer.keepCheckpoints=0");
    assertThat(r.exit).as(r.toString()).isZero();
    Path run = onlyRun(runs);
    Path last = run.resolve("checkpoints/epoch-0004.ckpt");
    byte[] uninterrupted = Files.readAllBytes(last);
    Files.delete(last);
    Files.delete(run.resolve("checkpoints/epoch-0003.ckpt"));
    Files.delete(run.resolve("summary.json"));

    Cli resumed = Cli.run("train", "--resume", run.toString());
    assertThat(resumed.exit).as(resumed.toString()).isZero();
    assertThat(resumed.out)
        .contains("resuming after epoch 2", "computing the frozen outputs", "epoch 4/4")
        .doesNotContain("epoch 2/4");
    assertThat(Files.readAllBytes(last)).as("checkpoint after epoch 4").isEqualTo(uninterrupted);
  }

  @Test
  void benchReportsThroughputAndPeakMemoryPerSchedule() throws IOException {
    Path out = tmp.resolve("bench.json");
    Cli r = Cli.run("bench", ValidateCommandTest.SMOKE, "--warmup", "2", "--batches", "4", "--repeats", "1", "--output", out.toString());
    assertThat(r.exit).as(r.toString()).isZero();
    JsonNode j = JSON.readTree(out.toFile());
    assertThat(j.get("results")).hasSize(2);
    assertThat(j.get("results").get(0).get("schedule").asText()).isEqualTo("simultaneous");
    assertThat(j.get("results").get(1).get("schedule").asText()).isEqualTo("backprop");
    for (JsonNode res : j.get("results")) {
      assertThat(res.get("samplesPerSecond").asDouble()).isPositive();
      assertThat(res.get("peakNativeBytes").asLong()).isPositive();
    }
    assertThat(j.get("throughputRatio").asDouble()).isPositive();
    assertThat(JSON.readTree(r.out)).isEqualTo(j);
  }

  @Test
  void convBenchTimesEveryConvLayerAgainstTheGemmRate() throws IOException {
    Path out = tmp.resolve("bench-conv.json");
    Cli r =
        Cli.run("bench", "../configs/smoke/softhebb-synthetic.yaml", "--conv", "--batch", "4",
            "--warmup", "1", "--repeats", "1", "--output", out.toString());
    assertThat(r.exit).as(r.toString()).isZero();
    JsonNode layers = JSON.readTree(out.toFile()).get("layers");
    assertThat(layers).hasSize(1);
    JsonNode l = layers.get(0);
    assertThat(l.get("block").asText()).isEqualTo("hebb");
    assertThat(l.get("inputShape").asText()).isEqualTo("[1, 6, 6]");
    assertThat(l.get("backwardIncludesInputGradient").asBoolean()).as("one input channel").isFalse();
    for (String f : new String[] {"forwardMs", "backwardMs", "forwardGflops", "sameShapeGemmGflops"}) {
      assertThat(l.get(f).asDouble()).as(f).isPositive();
    }
    // the fractions are the layer's rate over the square GEMM's, measured in the same process
    assertThat(l.get("forwardFractionOfSquareGemm").asDouble())
        .isCloseTo(
            l.get("forwardGflops").asDouble() / JSON.readTree(out.toFile()).get("squareGemmGflops").asDouble(),
            org.assertj.core.data.Offset.offset(1e-12));
  }

  @Test
  void benchReportsEachPipelineStage() throws IOException {
    Path out = tmp.resolve("bench-pipe.json");
    Cli r =
        Cli.run("bench", ValidateCommandTest.SMOKE, "--schedules", "pipelined", "--set",
            "trainer.schedule=pipelined", "--set", "trainer.stages=2", "--warmup", "2",
            "--batches", "6", "--repeats", "1", "--output", out.toString());
    assertThat(r.exit).as(r.toString()).isZero();
    JsonNode p = JSON.readTree(out.toFile()).get("results").get(0).get("pipeline");
    assertThat(p.get("stages")).hasSize(2);
    assertThat(p.get("batches").asLong()).as("timed batches").isEqualTo(6);
    double busy = 0;
    for (JsonNode st : p.get("stages")) {
      assertThat(st.get("blocks")).isNotEmpty();
      assertThat(st.get("busyMsPerBatch").asDouble()).isPositive();
      assertThat(st.get("idleMsPerBatch").asDouble()).isGreaterThanOrEqualTo(0);
      busy += st.get("busyMsPerBatch").asDouble();
    }
    assertThat(p.get("stages").get(0).get("meanQueueOccupancyAfter").asDouble())
        .isBetween(0.0, p.get("queueCapacity").asDouble());
    assertThat(p.get("sequentialMsPerBatch").asDouble()).isCloseTo(busy, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(p.get("efficiency").asDouble()).isGreaterThan(0).isLessThanOrEqualTo(1.0);
  }

  @Test
  void divergenceStopsWithExitCode3NamingTheBlock() {
    Cli r =
        Cli.run("train", ValidateCommandTest.SMOKE, "--runs-dir", tmp.resolve("runs").toString(),
            "--set", "trainer.optimizer={type: sgd, learningRate: 1.0e+30}");
    assertThat(r.exit).as(r.toString()).isEqualTo(3);
    assertThat(r.err).contains("training diverged", "block 'b").contains("learningRate");
    assertThat(r.err).doesNotContain("\tat ");
  }

  @Test
  void aTruncatedDatasetFileIsAClearBadInputError() throws IOException {
    Path dir = tmp.resolve("data");
    Files.createDirectories(dir);
    byte[] header = {0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3};
    Files.write(dir.resolve("train-images-idx3-ubyte"), header);
    Files.write(dir.resolve("train-labels-idx1-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 10, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    Files.write(dir.resolve("t10k-images-idx3-ubyte"), header);
    Files.write(dir.resolve("t10k-labels-idx1-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 10, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    Cli r =
        Cli.run("train", "../configs/smoke/fashion-mnist-tiny.yaml", "--runs-dir", tmp.resolve("runs").toString(),
            "--offline", "--set", "data.path=" + dir.toAbsolutePath(), "--set", "data.validation=0",
            "--set", "data.trainLimit=null", "--set", "data.testLimit=null");
    assertThat(r.exit).as(r.toString()).isEqualTo(2);
    assertThat(r.err).contains("train-images-idx3-ubyte").contains("truncated");
    assertThat(r.err.strip().lines().count()).as("one line").isEqualTo(1);
  }

  @Test
  void badArgumentsAreExitCode2() {
    assertThat(Cli.run("train").exit).isEqualTo(2);
    assertThat(Cli.run("train", ValidateCommandTest.SMOKE, "--set", "trainer.epochs").exit).isEqualTo(2);
    assertThat(Cli.run("list", "widgets").exit).isEqualTo(2);
    Cli list = Cli.run("list", "rules");
    assertThat(list.exit).isZero();
    assertThat(list.out).contains("mono-forward", "backprop");
    Cli datasets = Cli.run("list", "datasets");
    assertThat(datasets.exit).isZero();
    assertThat(datasets.out).contains("cifar10", "CIFAR-10", "fashion-mnist", "synthetic");
  }

  /** Writes the six CIFAR-10 files with {@code perFile} records each; label and pixels from the index. */
  private static Path tinyCifar10(Path dir, int perFile) throws IOException {
    Files.createDirectories(dir);
    List<String> names =
        List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
            "data_batch_5.bin", "test_batch.bin");
    int i = 0;
    for (String name : names) {
      byte[] b = new byte[perFile * 3073];
      for (int r = 0; r < perFile; r++, i++) {
        b[r * 3073] = (byte) (i % 3);
        for (int p = 0; p < 3072; p++) {
          b[r * 3073 + 1 + p] = (byte) ((i % 3) * 80 + (p * 7 + i) % 64);
        }
      }
      Files.write(dir.resolve(name), b);
    }
    return dir;
  }

  @Test
  void aCifar10RunTrainsOnTinyFilesAndRecordsTheirHashes() throws IOException {
    Path data = tinyCifar10(tmp.resolve("cifar").resolve("cifar-10-batches-bin"), 8);
    Path runs = tmp.resolve("runs");
    Cli r =
        Cli.run("train", ValidateCommandTest.SMOKE, "--runs-dir", runs.toString(), "--offline",
            "--set", "data={type: cifar10, path: " + data.getParent().toAbsolutePath() + ", validation: 4}",
            "--set", "trainer.epochs=1", "--set", "trainer.batchSize=8");
    assertThat(r.exit).as(r.toString()).isZero();
    assertThat(r.out).contains("data: cifar10  train 36  validation 4  test 8").contains("test accuracy");
    JsonNode files = JSON.readTree(onlyRun(runs).resolve("summary.json").toFile()).get("dataFiles");
    assertThat(files).hasSize(6);
    assertThat(files.get(5).get("path").asText()).endsWith("cifar-10-batches-bin/test_batch.bin");
    assertThat(files.get(0).get("sha256").asText()).hasSize(64);
  }

  @Test
  void aTruncatedCifar10FileIsAClearBadInputError() throws IOException {
    Path data = tinyCifar10(tmp.resolve("cifar"), 2);
    Files.write(data.resolve("data_batch_2.bin"), new byte[3073 + 100]);
    Cli r =
        Cli.run("train", ValidateCommandTest.SMOKE, "--runs-dir", tmp.resolve("runs").toString(), "--offline",
            "--set", "data={type: cifar10, path: " + data.toAbsolutePath() + "}");
    assertThat(r.exit).as(r.toString()).isEqualTo(2);
    assertThat(r.err).contains("data_batch_2.bin: 3173 bytes is not a whole number of 3073-byte");
    assertThat(r.err.strip().lines().count()).as("one line").isEqualTo(1);
  }

  /**
   * InfoPro's loss on MAN trains on images under both schedules (the trainer puts the batch's
   * de-normalised images on the board in the sequential sweep and in the pipeline), and is refused
   * in one line on data that are not images.
   */
  @Test
  void infoProReconstructsImagesAndRefusesOtherData() throws IOException {
    String infopro = "model.rule.infopro={reconstruction: [5, 1], task: [0.5]}";
    Path data = tinyCifar10(tmp.resolve("cifar").resolve("cifar-10-batches-bin"), 8);
    for (String schedule : new String[] {"simultaneous", "pipelined"}) {
      Path runs = tmp.resolve("runs-" + schedule);
      Cli r =
          Cli.run("train", "../configs/smoke/man-synthetic.yaml", "--runs-dir", runs.toString(),
              "--offline", "--set", infopro, "--set", "model.input=[3, 32, 32]",
              "--set", "data={type: cifar10, path: " + data.getParent().toAbsolutePath()
                  + ", normalization: standardize}",
              "--set", "trainer.epochs=1", "--set", "trainer.batchSize=8",
              "--set", "trainer.schedule=" + schedule);
      assertThat(r.exit).as(r.toString()).isZero();
      assertThat(r.out)
          .contains("res1'): infopro: 3.000 * BCE(decoder reconstruction of the input) + 0.5000 * CE")
          .contains("test accuracy");
      // the two terms are logged unweighted; the logged loss is their weighted sum
      Path run = onlyRun(runs);
      JsonNode res1 = null;
      JsonNode top = null;
      for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
        JsonNode o = JSON.readTree(line);
        if ("block".equals(o.path("kind").asText())) {
          res1 = "res1".equals(o.get("block").asText()) ? o : res1;
          top = "top".equals(o.get("block").asText()) ? o : top;
        }
      }
      assertThat(res1).as(schedule).isNotNull();
      double rec = res1.get("terms").get("reconstruction").asDouble();
      double task = res1.get("terms").get("task").asDouble();
      assertThat(rec).isPositive();
      assertThat(res1.get("loss").asDouble())
          .as(schedule)
          .isCloseTo(3.0 * rec + 0.5 * task, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(top.has("terms")).as("the final block's loss has one term").isFalse();
      JsonNode terms = JSON.readTree(run.resolve("summary.json").toFile()).get("finalLossTerms");
      assertThat(terms.get("res1").get("task").asDouble()).isEqualTo(task);
      assertThat(terms.has("top")).isFalse();
    }
    Cli bad =
        Cli.run("train", "../configs/smoke/man-synthetic.yaml", "--runs-dir",
            tmp.resolve("runs-bad").toString(), "--set", infopro);
    assertThat(bad.exit).as(bad.toString()).isEqualTo(2);
    assertThat(bad.err).contains("block stem: its rule reconstructs the input image, but data")
        .contains("are not images");
    assertThat(bad.err.strip().lines().count()).as("one line").isEqualTo(1);
  }

  /**
   * A greedy phase after frozen SoftHebb blocks normally trains on their cached outputs; a rule
   * that reconstructs the input image needs the images, so the trainer passes through the frozen
   * blocks instead of caching (before, the run stopped with an internal error).
   */
  @Test
  void infoProAfterFrozenBlocksTrainsOnTheImagesInsteadOfCachedOutputs() throws IOException {
    Path data = tinyCifar10(tmp.resolve("cifar").resolve("cifar-10-batches-bin"), 8);
    Path cfg = tmp.resolve("mix.yaml");
    Files.writeString(
        cfg,
        String.join(
            "\n",
            "name: mix",
            "seed: 1",
            "data: {type: cifar10, path: " + data.getParent().toAbsolutePath() + "}",
            "model:",
            "  input: [3, 32, 32]",
            "  blocks:",
            "    - id: hebb",
            "      rule: {type: softhebb, beta: 1.0, learningRate: 0.08, lrPower: 0.5}",
            "      layers:",
            "        - {type: batchnorm, affine: false}",
            "        - {type: conv2d, filters: 4, kernel: 3, padding: 1, bias: false, init: radius,"
                + " radius: 25}",
            "        - {type: triangle, power: 0.7}",
            "    - id: aux",
            "      rule: {type: aux-head, infopro: {reconstruction: [1], task: [1]}}",
            "      layers:",
            "        - {type: conv2d, filters: 4, kernel: 3, padding: 1}",
            "        - {type: activation, function: relu}",
            "    - id: top",
            "      rule: {type: aux-head}",
            "      layers: [{type: globalavgpool}]",
            "trainer:",
            "  schedule: greedy",
            "  epochs: 2",
            "  batchSize: 8",
            "  phases: [{blocks: [hebb], epochs: 1}, {blocks: [aux, top], epochs: 1}]",
            "  optimizer: {type: sgd, learningRate: 0.01}",
            ""));
    Path runs = tmp.resolve("runs");
    Cli r = Cli.run("train", cfg.toString(), "--runs-dir", runs.toString(), "--offline");
    assertThat(r.exit).as(r.toString()).isZero();
    assertThat(r.out).doesNotContain("computing the frozen outputs");
    JsonNode phases = JSON.readTree(onlyRun(runs).resolve("summary.json").toFile()).get("phases");
    assertThat(phases.get(1).get("finalLossTerms").get("aux").has("reconstruction")).isTrue();
  }
}

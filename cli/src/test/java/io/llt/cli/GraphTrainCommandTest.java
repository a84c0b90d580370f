package io.llt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code llt train} on graph data end to end, on a 70-node Cora-format graph written here (7
 * classes of 10 nodes, edges mostly inside a class, one feature column per class).
 */
class GraphTrainCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;
  private Path data;

  @BeforeEach
  void writeGraph() throws IOException {
    data = Files.createDirectories(tmp.resolve("cora/text"));
    SplittableRandom r = new SplittableRandom(3);
    StringBuilder f = new StringBuilder();
    StringBuilder y = new StringBuilder();
    StringBuilder e = new StringBuilder();
    StringBuilder train = new StringBuilder();
    StringBuilder val = new StringBuilder();
    StringBuilder test = new StringBuilder();
    for (int i = 0; i < 70; i++) {
      int c = i % 7;
      int noise = 7 + r.nextInt(50);
      f.append(c < noise ? c + ":1 " + noise + ":1" : noise + ":1").append('\n');
      y.append(c).append('\n');
      (i < 28 ? train : i < 42 ? val : test).append(i).append('\n');
      for (int j = i + 1; j < 70; j++) {
        if (r.nextDouble() < (j % 7 == c ? 0.4 : 0.02)) {
          e.append(i).append(' ').append(j).append('\n');
        }
      }
    }
    Files.writeString(data.resolve("features.txt"), f.toString());
    Files.writeString(data.resolve("labels.txt"), y.toString());
    Files.writeString(data.resolve("edges.txt"), e.toString());
    Files.writeString(data.resolve("train.txt"), train.toString());
    Files.writeString(data.resolve("val.txt"), val.toString());
    Files.writeString(data.resolve("test.txt"), test.toString());
  }

  private Path config(String name, String rule, String schedule, String blocks, String extra)
      throws IOException {
    Path p = tmp.resolve(name + ".yaml");
    Files.writeString(
        p,
        "name: " + name + "\n"
            + "data: {type: cora, path: " + data.getParent() + "}\n"
            + "model:\n"
            + "  rule: " + rule + "\n"
            + "  blocks:\n" + blocks
            + "trainer:\n"
            + "  schedule: " + schedule + "\n"
            + "  epochs: 12\n"
            + extra
            + "  optimizer: {learningRate: 0.01, weightDecay: 0.0005}\n");
    return p;
  }

  private static String gnnBlocks(String layer, int depth) {
    String b = "    - layers: [{type: normalize, kind: l2}, " + layer + ", {type: activation, function: relu}]\n";
    return b.repeat(depth);
  }

  private static Path onlyRun(Path runs) throws IOException {
    try (Stream<Path> s = Files.list(runs)) {
      List<Path> all = s.collect(Collectors.toList());
      assertThat(all).hasSize(1);
      return all.get(0);
    }
  }

  @Test
  void singleForwardTrainsGreedilyWithEarlyStoppingAndWritesItsRun() throws IOException {
    Path cfg =
        config("sf", "{type: forwardgnn}", "greedy", gnnBlocks("{type: gcn, units: 16}", 2),
            "  patience: 3\n  validateEvery: 2\n");
    Path runs = tmp.resolve("runs");
    Cli r = Cli.run("train", cfg.toString(), "--runs-dir", runs.toString());
    assertThat(r.exit).as(r.toString()).isZero();
    assertThat(r.out).contains("70 nodes, 1433 features", "train 28  validation 14  test 28",
        "early stopping after 3 validations", "b1: ", "b2: ", "test accuracy");
    assertThat(r.out).contains("epoch 2/12 (block b1)  loss b1 ").doesNotContain("NaN");
    Path run = onlyRun(runs);
    JsonNode s = JSON.readTree(run.resolve("summary.json").toFile());
    assertThat(s.get("dataset").asText()).isEqualTo("cora");
    assertThat(s.get("trainedBlocks")).hasSize(2);
    for (JsonNode b : s.get("trainedBlocks")) {
      assertThat(b.get("epochs").asInt()).isBetween(2, 12);
      assertThat(b.get("bestEpoch").asInt()).isLessThanOrEqualTo(b.get("epochs").asInt());
      assertThat(b.get("bestEpoch").asInt() % 2).isZero();
      assertThat(b.get("peakStepBytes").asLong()).isPositive();
    }
    assertThat(s.get("testAccuracy").asDouble()).isBetween(0.0, 1.0);
    List<String> metrics = Files.readAllLines(run.resolve("metrics.jsonl"));
    assertThat(metrics).isNotEmpty();
    try (Stream<Path> files = Files.list(run.resolve("checkpoints"))) {
      assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.endsWith(".ckpt"));
    }
    Cli profile = Cli.run("profile", cfg.toString(), "--out", tmp.resolve("prof").toString());
    assertThat(profile.exit).isNotZero();
    assertThat(profile.err).contains("llt profile does not run full-graph configs");
  }

  /** A graph config whose data cannot be loaded fails with one line and leaves no run directory. */
  @Test
  void aGraphRunWhoseDataFailToLoadLeavesNoRunBehind() {
    Path runs = tmp.resolve("runs-missing");
    Cli r =
        Cli.run(
            "train", "../configs/cora/sf-gcn.yaml", "--runs-dir", runs.toString(), "--offline",
            "--set", "data.path=" + tmp.resolve("nowhere"));
    assertThat(r.exit).as(r.toString()).isEqualTo(2);
    assertThat(r.err).contains("error: data.path", "does not exist");
    assertThat(runs).doesNotExist();
  }

  @Test
  void aGreedyGraphRunResumesAfterItsLastFinishedBlockBitForBit() throws IOException {
    Path cfg =
        config("resume", "{type: forwardgnn}", "greedy", gnnBlocks("{type: gcn, units: 16}", 2),
            "  patience: 3\n  validateEvery: 2\n");
    Path runs = tmp.resolve("runs-resume");
    Cli r = Cli.run("train", cfg.toString(), "--runs-dir", runs.toString());
    assertThat(r.exit).as(r.toString()).isZero();
    Path run = onlyRun(runs);
    JsonNode progress = JSON.readTree(run.resolve("graph-progress.json").toFile());
    assertThat(progress.get("blocks")).hasSize(2);
    int afterFirst = progress.get("blocks").get(0).get("epochs").asInt();
    int total = progress.get("epochsCompleted").asInt();
    Path last = run.resolve(String.format("checkpoints/epoch-%04d.ckpt", total));
    assertThat(last).exists();
    assertThat(run.resolve(String.format("checkpoints/epoch-%04d.ckpt", afterFirst))).exists();
    byte[] uninterrupted = Files.readAllBytes(last);
    double accuracy = JSON.readTree(run.resolve("summary.json").toFile()).get("testAccuracy").asDouble();
    // as if the run had died while training the second block
    Files.delete(last);
    Files.delete(run.resolve("summary.json"));
    Files.writeString(
        run.resolve("graph-progress.json"),
        "{\"epochsCompleted\": " + afterFirst + ", \"blocks\": ["
            + progress.get("blocks").get(0) + "]}");
    Cli resumed = Cli.run("train", "--resume", run.toString());
    assertThat(resumed.exit).as(resumed.toString()).isZero();
    assertThat(resumed.out).contains("resuming after block b1 (" + afterFirst + " epochs)");
    assertThat(Files.readAllBytes(last)).isEqualTo(uninterrupted);
    assertThat(JSON.readTree(run.resolve("summary.json").toFile()).get("testAccuracy").asDouble())
        .isEqualTo(accuracy);
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      assertThat(JSON.readTree(line).get("epoch").asInt()).isLessThanOrEqualTo(total);
    }
    // a progress file that names other blocks than the config is refused with the file named
    Files.writeString(
        run.resolve("graph-progress.json"),
        "{\"epochsCompleted\": " + afterFirst + ", \"blocks\": ["
            + progress.get("blocks").get(0).toString().replace("\"b1\"", "\"stem\"") + "]}");
    Cli changed = Cli.run("train", "--resume", run.toString());
    assertThat(changed.exit).isNotZero();
    assertThat(changed.err).contains("graph-progress.json: finished block 1 is 'stem'");

    Path t2l =
        config("t2lresume", "{type: forwardgnn, variant: sf-top2loss}", "simultaneous",
            gnnBlocks("{type: gcn, units: 8}", 2), "");
    Path runs2 = tmp.resolve("runs-t2l-resume");
    assertThat(Cli.run("train", t2l.toString(), "--runs-dir", runs2.toString()).exit).isZero();
    Cli no = Cli.run("train", "--resume", onlyRun(runs2).toString());
    assertThat(no.exit).isNotZero();
    assertThat(no.err).contains("only greedy full-graph runs resume");
  }

  @Test
  void everyVariantAndBackboneRunsEndToEnd() throws IOException {
    String[][] cases = {
      {"ff-la", "{type: forwardgnn, variant: ff-la}", "{type: gcn, units: 8}"},
      {"ff-vn", "{type: forwardgnn, variant: ff-vn}", "{type: sage, units: 8}"},
      {"sf-gat", "{type: forwardgnn}", "{type: gat, units: 8, heads: 2}"},
    };
    for (String[] c : cases) {
      Path cfg = config(c[0], c[1], "greedy", gnnBlocks(c[2], 2), "");
      Cli r = Cli.run("train", cfg.toString(), "--runs-dir", tmp.resolve("runs-" + c[0]).toString());
      assertThat(r.exit).as(c[0] + "\n" + r).isZero();
      assertThat(r.out).contains("test accuracy");
    }
  }

  @Test
  void topToLossTrainsEveryBlockAtEveryTimeStep() throws IOException {
    Path cfg =
        config("t2l", "{type: forwardgnn, variant: sf-top2loss}", "simultaneous",
            gnnBlocks("{type: gcn, units: 8}", 3), "  patience: 4\n");
    Path runs = tmp.resolve("runs-t2l");
    Cli r = Cli.run("train", cfg.toString(), "--runs-dir", runs.toString());
    assertThat(r.exit).as(r.toString()).isZero();
    JsonNode s = JSON.readTree(onlyRun(runs).resolve("summary.json").toFile());
    assertThat(s.get("schedule").asText()).isEqualTo("simultaneous");
    assertThat(s.get("trainedBlocks")).hasSize(3);
    JsonNode first = s.get("trainedBlocks").get(0);
    for (JsonNode b : s.get("trainedBlocks")) {
      assertThat(b.get("epochs").asInt()).isEqualTo(first.get("epochs").asInt());
      assertThat(b.get("peakStepBytes").asLong()).isPositive();
    }
    Path greedy =
        config("t2lg", "{type: forwardgnn, variant: sf-top2loss}", "greedy",
            gnnBlocks("{type: gcn, units: 8}", 2), "");
    Cli g = Cli.run("validate", greedy.toString());
    assertThat(g.exit).isNotZero();
    assertThat(g.err).contains("set trainer.schedule: simultaneous");
  }

  @Test
  void backpropWithoutAnOutputLayerTakesTheLastConvolutionAsLogits() throws IOException {
    String blocks =
        "    - layers: [{type: gcn, units: 16}, {type: activation, function: relu}]\n"
            + "    - layers: [{type: gcn, units: 7}]\n";
    Path cfg =
        config("bp", "{type: backprop, outputLayer: false}", "backprop", blocks,
            "  patience: 5\n");
    Cli r = Cli.run("train", cfg.toString(), "--runs-dir", tmp.resolve("runs-bp").toString());
    assertThat(r.exit).as(r.toString()).isZero();
    assertThat(r.out).contains("backprop: ", "test accuracy");

    String wrong =
        "    - layers: [{type: gcn, units: 16}, {type: activation, function: relu}]\n";
    Path bad = config("bpbad", "{type: backprop, outputLayer: false}", "backprop", wrong, "");
    Cli b = Cli.run("train", bad.toString(), "--runs-dir", tmp.resolve("runs-bad").toString());
    assertThat(b.exit).isNotZero();
    assertThat(b.err).contains("width 16 for 7 classes");
  }

  @Test
  void configsThatMixGraphAndBatchTrainingAreRejectedWithThePath() throws IOException {
    Path gcnOnImages = tmp.resolve("gcn-synthetic.yaml");
    Files.writeString(
        gcnOnImages,
        "name: x\ndata: {type: synthetic, features: 6, classes: 3, trainSize: 8, testSize: 8}\n"
            + "model:\n  rule: {type: mono-forward}\n  blocks:\n"
            + "    - layers: [{type: gcn, units: 4}]\n"
            + "trainer: {epochs: 1, patience: 2}\n");
    Cli r = Cli.run("validate", gcnOnImages.toString());
    assertThat(r.exit).isNotZero();
    assertThat(r.err)
        .contains("model.blocks[0].layers[0].type", "needs graph data")
        .contains("trainer.patience", "full-graph training only");

    Path simultaneous =
        config("sim", "{type: forwardgnn}", "simultaneous", gnnBlocks("{type: gcn, units: 4}", 1), "");
    Cli s = Cli.run("validate", simultaneous.toString());
    assertThat(s.exit).isNotZero();
    assertThat(s.err).contains("trainer.schedule").contains("greedy");

    Path mono =
        config("mono", "{type: mono-forward}", "greedy", gnnBlocks("{type: gcn, units: 4}", 1), "");
    Cli m = Cli.run("validate", mono.toString());
    assertThat(m.exit).isNotZero();
    assertThat(m.err).contains("'mono-forward' cannot train on a whole graph");
  }
}

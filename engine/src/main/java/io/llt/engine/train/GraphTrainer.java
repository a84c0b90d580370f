package io.llt.engine.train;

import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.config.Schedule;
import io.llt.engine.data.graph.Adjacency;
import io.llt.engine.data.graph.NodeGraph;
import io.llt.engine.graph.Block;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.memory.MemoryPhase;
import io.llt.engine.memory.MemoryTracker;
import io.llt.engine.spi.GraphEncoding;
import io.llt.engine.spi.GraphLayer;
import io.llt.engine.spi.GraphRule;
import io.llt.engine.spi.Layer;
import io.llt.engine.util.Seeds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Full-graph (transductive) training of a chain of graph blocks: every step sees every node, the
 * objective uses the training nodes' labels only, and accuracy is measured on the validation and
 * test nodes. This is how ForwardGNN and its backprop baseline train (spec ff-forwardgnn.md 3(b)).
 *
 * <ul>
 *   <li>{@code greedy}: block by block. A block trains for at most {@code trainer.epochs} epochs
 *       on the frozen, detached outputs of the blocks before it; every {@code
 *       trainer.validateEvery} epochs the prefix network ending at it is scored on the validation
 *       nodes (its class scores summed with those of the frozen blocks); with {@code
 *       trainer.patience} the block stops after that many validations without a strictly better
 *       accuracy and gets the weights of its best validation back, as the reference's {@code
 *       EarlyStopping}. Then its outputs on every encoding are computed once and handed on.
 *   <li>{@code backprop}: the fused block, with the same validation and early stopping.
 *   <li>{@code simultaneous}: every block at every time step on the previous step's states, with
 *       the states of the blocks above offered to its rule (ForwardGNN's Top-to-Loss; see {@link
 *       #fitSimultaneous}).
 * </ul>
 *
 * <p>Test accuracy is computed at every validation improvement and reported for the selected
 * weights; it never takes part in the selection. Each validation appends one line to {@code
 * metrics.jsonl}. A greedy run writes a checkpoint and {@link #PROGRESS} after every block (so it
 * resumes block by block); the other schedules write one checkpoint at the end.
 */
public final class GraphTrainer {
  private final ExperimentConfig config;
  private final BlockGraph graph;
  private final NodeGraph data;
  private final RunDirectory runDir;
  private final TrainingListener listener;
  private final MemoryTracker tracker;
  private final DataType dataType;

  /**
   * The outcome of a block's training (one per block; one for the fused backprop block).
   *
   * @param blockId the block
   * @param epochs epochs trained
   * @param bestEpoch the epoch whose weights were kept
   * @param validationAccuracy the prefix network's validation accuracy with the kept weights
   * @param testAccuracy the prefix network's test accuracy with the kept weights
   * @param seconds wall time of the block's training steps
   * @param peakStepBytes the largest fixed plus workspace bytes of one of its training steps
   */
  public record BlockOutcome(
      String blockId,
      int epochs,
      int bestEpoch,
      double validationAccuracy,
      double testAccuracy,
      double seconds,
      long peakStepBytes) {}

  /**
   * The outcome of a run.
   *
   * @param blocks per trained block, in order
   * @param validationAccuracy the whole network's validation accuracy
   * @param testAccuracy the whole network's test accuracy
   * @param peakNativeBytes the largest native memory seen at a step
   * @param wallSeconds the run's wall time
   */
  public record Result(
      List<BlockOutcome> blocks,
      double validationAccuracy,
      double testAccuracy,
      long peakNativeBytes,
      double wallSeconds) {}

  /** Creates a trainer; {@code runDir} and {@code listener} may be null. */
  public GraphTrainer(
      ExperimentConfig config,
      BlockGraph graph,
      NodeGraph data,
      RunDirectory runDir,
      TrainingListener listener) {
    this.config = config;
    this.graph = graph;
    this.data = data;
    this.runDir = runDir;
    this.listener = listener == null ? new TrainingListener() {} : listener;
    this.tracker =
        new MemoryTracker(
            graph.blocks().stream().map(Block::id).toList(),
            config.memory().budgetBytes() == null ? 0 : config.memory().budgetBytes());
    this.dataType = graph.blocks().get(0).dataType();
  }

  /** Returns the per-block memory peaks measured so far. */
  public MemoryTracker tracker() {
    return tracker;
  }

  /** The file a greedy graph run records its finished blocks in, beside the checkpoints. */
  public static final String PROGRESS = "graph-progress.json";

  /**
   * What a greedy graph run has finished: the blocks trained so far and their outcomes, written
   * atomically after each block's checkpoint, so a resumed run continues with the next block.
   *
   * @param epochsCompleted epochs of all finished blocks (the checkpoint's number)
   * @param blocks the finished blocks' outcomes, in order
   */
  public record Progress(int epochsCompleted, List<BlockOutcome> blocks) {}

  /** Reads a run's progress, or returns null when it has none. */
  public static Progress readProgress(RunDirectory runDir) throws IOException {
    java.nio.file.Path f = runDir.path().resolve(PROGRESS);
    if (!java.nio.file.Files.isRegularFile(f)) {
      return null;
    }
    return new com.fasterxml.jackson.databind.ObjectMapper().readValue(f.toFile(), Progress.class);
  }

  /** Trains every block and returns what happened. */
  public Result fit() {
    return fit(null);
  }

  /**
   * Trains every block not yet finished and returns what happened.
   *
   * @param done a resumed greedy run's progress (its finished blocks must already hold their
   *     checkpointed weights; they are not trained again, only run to hand on their outputs), or
   *     null to start from the first block
   */
  public Result fit(Progress done) {
    if (done != null && config.trainer().schedule() != Schedule.GREEDY) {
      throw new IllegalStateException("only greedy graph runs resume");
    }
    if (config.trainer().schedule() == Schedule.SIMULTANEOUS) {
      return fitSimultaneous();
    }
    long t0 = System.nanoTime();
    List<Block> blocks = graph.blocks();
    GraphRule.Encodings enc =
        rule(blocks.get(0))
            .encodeGraph(data, dataType, Seeds.derive(config.seed(), "graph-encoding"));
    Inputs in = new Inputs(enc);
    double[] frozenVal = null;
    double[] frozenTest = null;
    List<BlockOutcome> outcomes = new ArrayList<>();
    int epochBase = 0;
    try {
      int skip = done == null ? 0 : done.blocks().size();
      for (int i = 0; i < blocks.size(); i++) {
        Block b = blocks.get(i);
        BlockOutcome o =
            i < skip
                ? done.blocks().get(i)
                : trainBlock(b, in, enc, frozenVal, frozenTest, epochBase);
        outcomes.add(o);
        epochBase += o.epochs();
        // freeze: hand on the outputs and keep the scores of every encoding
        Scores s = scores(b, in, enc);
        frozenVal = add(frozenVal, s.val());
        frozenTest = add(frozenTest, s.test());
        if (i + 1 < blocks.size()) {
          in = in.next(b, enc);
        }
        if (i >= skip) {
          // the checkpoint, then the progress naming it, then the pruning: a crash in between
          // never leaves the progress pointing at a deleted checkpoint
          checkpoint(epochBase, 0);
          writeProgress(new Progress(epochBase, outcomes));
          prune();
        }
      }
    } finally {
      in.close();
      closeRows(enc);
    }
    double val = accuracy(frozenVal, data.validation());
    double test = accuracy(frozenTest, data.test());
    return new Result(
        outcomes, val, test, tracker.peakNativeBytes(), (System.nanoTime() - t0) / 1e9);
  }

  /**
   * {@code simultaneous} on a graph, as the reference's Top-to-Loss: one bottom-up pass sets every
   * block's state (its output); then each time step trains every block once, block j on the
   * previous step's state of block j-1 with the previous step's states of the blocks above it
   * offered to its rule, and all states are replaced at the end of the step (synchronous). Every
   * {@code trainer.validateEvery} steps a fresh bottom-up pass scores the whole network; early
   * stopping and the restore of the best weights cover every block at once.
   */
  private Result fitSimultaneous() {
    long t0 = System.nanoTime();
    List<Block> blocks = graph.blocks();
    int n = blocks.size();
    GraphRule.Encodings enc =
        rule(blocks.get(0))
            .encodeGraph(data, dataType, Seeds.derive(config.seed(), "graph-encoding"));
    try {
      if (enc.validation() != enc.train() || enc.test() != enc.train()) {
        throw new IllegalStateException(
            "simultaneous full-graph training needs one encoding for training and scoring");
      }
      return simultaneous(enc, t0);
    } finally {
      closeRows(enc);
    }
  }

  private Result simultaneous(GraphRule.Encodings enc, long t0) {
    List<Block> blocks = graph.blocks();
    int n = blocks.size();
    GraphEncoding e = enc.train();
    int epochs = config.trainer().epochs();
    Integer patience = config.trainer().patience();
    int every = config.trainer().validateEvery() == null ? 1 : config.trainer().validateEvery();
    INDArray[] states = bottomUp(e);
    double best = Double.NEGATIVE_INFINITY;
    double bestTest = Double.NaN;
    int bestEpoch = 0;
    int bad = 0;
    INDArray[] bestParams = null;
    double[] seconds = new double[n];
    double[] lossSum = new double[n];
    int lossCount = 0;
    int epoch = 0;
    listener.onEpochStart(1, epochs, 1, null);
    try {
      while (epoch < epochs) {
        INDArray[] next = new INDArray[n];
        double[] rates = new double[n];
        try {
          for (int j = 0; j < n; j++) {
          Block b = blocks.get(j);
          OptimizerConfig opt = b.optimizerConfig();
          rates[j] = opt.schedule().learningRate(opt.learningRate(), epoch, epochs);
          INDArray x = j == 0 ? e.rows() : states[j - 1];
          List<INDArray> above = List.of(states).subList(j + 1, n);
          long s0 = System.nanoTime();
          INDArray[] out = new INDArray[1];
          lossSum[j] += step(b, rule(b), x, e, above, rates[j], epoch + 1, out);
          next[j] = out[0];
          seconds[j] += (System.nanoTime() - s0) / 1e9;
          }
        } catch (RuntimeException ex) {
          close(next);
          throw ex;
        }
        close(states);
        states = next;
        lossCount++;
        epoch++;
        if (epoch % every != 0 && epoch != epochs) {
          continue;
        }
        double[] scores = networkScores(e);
        double val = accuracy(scores, data.validation());
        double test = accuracy(scores, data.test());
        if (val > best) {
          best = val;
          bestTest = test;
          bestEpoch = epoch;
          bad = 0;
          if (patience != null) {
            close(bestParams);
            bestParams = new INDArray[n];
            for (int j = 0; j < n; j++) {
              bestParams[j] = detached(blocks.get(j).params());
            }
          }
        } else {
          bad++;
        }
        List<BlockMetrics> bm = new ArrayList<>();
        for (int j = 0; j < n; j++) {
          bm.add(new BlockMetrics(blocks.get(j).id(), lossSum[j] / lossCount, rates[j], seconds[j]));
        }
        emit(new EpochMetrics(epoch, epochs, null, bm, val, test, Map.of("sum", test), Double.NaN,
            sum(seconds), tracker.peakNativeBytes(), 0));
        java.util.Arrays.fill(lossSum, 0);
        lossCount = 0;
        if (patience != null && bad >= patience) {
          break;
        }
      }
      if (bestParams != null) {
        for (int j = 0; j < n; j++) {
          blocks.get(j).params().assign(bestParams[j]);
          blocks.get(j).afterUpdate();
        }
      }
    } finally {
      close(states);
      close(bestParams);
    }
    double[] scores = networkScores(e);
    double val = accuracy(scores, data.validation());
    double test = accuracy(scores, data.test());
    if (bestParams == null) {
      bestEpoch = epoch;
      best = val;
      bestTest = test;
    }
    List<BlockOutcome> outcomes = new ArrayList<>();
    for (int j = 0; j < n; j++) {
      Block b = blocks.get(j);
      outcomes.add(new BlockOutcome(b.id(), epoch, bestEpoch, best, bestTest, seconds[j],
          tracker.peakBytes(b.index())));
    }
    checkpoint(epoch);
    return new Result(outcomes, val, test, tracker.peakNativeBytes(),
        (System.nanoTime() - t0) / 1e9);
  }

  /** Every block's output in one inference pass from the encoding's rows, detached. */
  private INDArray[] bottomUp(GraphEncoding e) {
    List<Block> blocks = graph.blocks();
    INDArray[] out = new INDArray[blocks.size()];
    INDArray x = e.rows();
    for (int j = 0; j < out.length; j++) {
      out[j] = output(blocks.get(j), x, e);
      x = out[j];
    }
    return out;
  }

  /** The sum over blocks of their scores after one bottom-up pass, each offered the states above. */
  private double[] networkScores(GraphEncoding e) {
    List<Block> blocks = graph.blocks();
    INDArray[] states = bottomUp(e);
    try {
      double[] total = null;
      for (int j = 0; j < states.length; j++) {
        Block b = blocks.get(j);
        try (MemoryWorkspace ws = b.openWorkspace()) {
          INDArray s =
              rule(b)
                  .graphScores(b, b.state(), states[j], e,
                      List.of(states).subList(j + 1, states.length));
          total = add(total, s.castTo(DataType.DOUBLE).data().asDouble());
        }
      }
      return total;
    } finally {
      close(states);
    }
  }

  /** Closes the rows an encoding made (never the graph's own features, which the caller owns). */
  private void closeRows(GraphRule.Encodings enc) {
    java.util.Set<INDArray> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (GraphEncoding e : List.of(enc.train(), enc.validation(), enc.test())) {
      if (e.rows() != data.features() && seen.add(e.rows())) {
        e.rows().close();
      }
    }
  }

  private static void close(INDArray[] arrays) {
    if (arrays == null) {
      return;
    }
    for (INDArray a : arrays) {
      if (a != null) {
        a.close();
      }
    }
  }

  private static double sum(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s;
  }

  private BlockOutcome trainBlock(
      Block b, Inputs in, GraphRule.Encodings enc, double[] frozenVal, double[] frozenTest,
      int epochBase) {
    int epochs = config.trainer().epochs();
    Integer patience = config.trainer().patience();
    int every = config.trainer().validateEvery() == null ? 1 : config.trainer().validateEvery();
    OptimizerConfig opt = b.optimizerConfig();
    GraphRule rule = rule(b);
    double best = Double.NEGATIVE_INFINITY;
    double bestTest = Double.NaN;
    int bestEpoch = 0;
    int bad = 0;
    INDArray bestParams = null;
    double seconds = 0;
    double lossSum = 0;
    int lossCount = 0;
    int epoch = 0;
    String phase = config.trainer().schedule() == Schedule.GREEDY ? b.id() : null;
    listener.onEpochStart(epochBase + 1, epochBase + epochs, 1, phase);
    try {
      while (epoch < epochs) {
        double lr = opt.schedule().learningRate(opt.learningRate(), epoch, epochs);
        long s0 = System.nanoTime();
        double loss = step(b, rule, in.train, enc.train(), lr, epochBase + epoch + 1);
        seconds += (System.nanoTime() - s0) / 1e9;
        lossSum += loss;
        lossCount++;
        epoch++;
        if (epoch % every != 0 && epoch != epochs) {
          continue;
        }
        Scores s = scores(b, in, enc);
        double val = accuracy(add(s.val(), frozenVal), data.validation());
        double test = accuracy(add(s.test(), frozenTest), data.test());
        if (val > best) {
          best = val;
          bestTest = test;
          bestEpoch = epoch;
          bad = 0;
          if (patience != null) {
            if (bestParams != null) {
              bestParams.close();
            }
            bestParams = detached(b.params());
          }
        } else {
          bad++;
        }
        report(b, epochBase + epoch, epochBase + epochs, phase, lossSum / lossCount, lr, val, test,
            seconds);
        lossSum = 0;
        lossCount = 0;
        if (patience != null && bad >= patience) {
          break;
        }
      }
      if (bestParams != null) {
        b.params().assign(bestParams);
        b.afterUpdate();
      } else {
        bestEpoch = epoch;
        Scores s = scores(b, in, enc);
        best = accuracy(add(s.val(), frozenVal), data.validation());
        bestTest = accuracy(add(s.test(), frozenTest), data.test());
      }
    } finally {
      if (bestParams != null) {
        bestParams.close();
      }
    }
    return new BlockOutcome(
        b.id(), epoch, bestEpoch, best, bestTest, seconds, tracker.peakBytes(b.index()));
  }

  /**
   * One full-graph step of {@code b} and its optimizer, inside the block's workspace; {@code
   * epoch} is the run's epoch counter (from 1), for the divergence message.
   */
  private double step(Block b, GraphRule rule, INDArray x, GraphEncoding enc, double lr, int epoch) {
    return step(b, rule, x, enc, List.of(), lr, epoch, null);
  }

  /**
   * One full-graph step; with {@code out} non-null, slot 0 receives the block's pre-update output,
   * detached.
   */
  private double step(
      Block b, GraphRule rule, INDArray x, GraphEncoding enc, List<INDArray> above, double lr,
      int epoch, INDArray[] out) {
    try (MemoryWorkspace ws = b.openWorkspace()) {
      attach(b, enc.adjacency());
      var r = rule.graphStep(b, b.state(), x, enc, above);
      double loss = r.loss();
      if (out != null) {
        out[0] = r.output().detach();
      }
      if (!Double.isFinite(loss)) {
        if (out != null && out[0] != null) {
          out[0].close();
          out[0] = null;
        }
        throw TrainingDivergedException.onGraph(b.id(), epoch, loss);
      }
      tracker.record(b.index(), MemoryPhase.FORWARD, b.fixedBytes(), ws.getPrimaryOffset());
      b.optimizer().step(b.params(), b.grads(), lr);
      b.rule().afterUpdate(b, b.state());
      b.afterUpdate();
      tracker.record(b.index(), MemoryPhase.UPDATE, b.fixedBytes(), ws.getPrimaryOffset());
      return loss;
    }
  }

  /** The block's class scores on the validation and the test encodings (one pass when shared). */
  private Scores scores(Block b, Inputs in, GraphRule.Encodings enc) {
    double[] val = blockScores(b, in.val, enc.validation());
    double[] test =
        enc.test() == enc.validation() && in.test == in.val
            ? val
            : blockScores(b, in.test, enc.test());
    return new Scores(val, test);
  }

  private double[] blockScores(Block b, INDArray x, GraphEncoding enc) {
    try (MemoryWorkspace ws = b.openWorkspace()) {
      attach(b, enc.adjacency());
      INDArray out = b.forward(x, false);
      INDArray s = rule(b).graphScores(b, b.state(), out, enc, List.of());
      if (s.size(0) != data.numNodes() || s.size(1) != data.numClasses()) {
        throw new IllegalStateException(
            "block '" + b.id() + "' scored " + java.util.Arrays.toString(s.shape())
                + ", not [nodes, classes]");
      }
      return s.castTo(DataType.DOUBLE).data().asDouble();
    }
  }

  private static INDArray output(Block b, INDArray x, GraphEncoding enc) {
    try (MemoryWorkspace ws = b.openWorkspace()) {
      attach(b, enc.adjacency());
      return b.forward(x, false).detach();
    }
  }

  private static void attach(Block b, Adjacency a) {
    for (Layer l : b.layers()) {
      if (l instanceof GraphLayer g) {
        g.attach(a);
      }
    }
  }

  private static GraphRule rule(Block b) {
    if (b.rule() instanceof GraphRule g) {
      return g;
    }
    throw new IllegalStateException("block '" + b.id() + "' has a rule that cannot train on graphs");
  }

  private static double[] add(double[] a, double[] b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    double[] out = a.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] += b[i];
    }
    return out;
  }

  private static INDArray detached(INDArray x) {
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      return x.dup();
    }
  }

  /** The fraction of {@code nodes} whose argmax score is their label. */
  double accuracy(double[] s, int[] nodes) {
    int c = data.numClasses();
    int correct = 0;
    for (int v : nodes) {
      int arg = 0;
      for (int k = 1; k < c; k++) {
        if (s[v * c + k] > s[v * c + arg]) {
          arg = k;
        }
      }
      correct += arg == data.labels()[v] ? 1 : 0;
    }
    return (double) correct / nodes.length;
  }

  private void report(
      Block b, int epoch, int total, String phase, double loss, double lr, double val, double test,
      double seconds) {
    List<BlockMetrics> bm = new ArrayList<>();
    for (Block x : graph.blocks()) {
      boolean me = x == b;
      bm.add(new BlockMetrics(x.id(), me ? loss : Double.NaN, me ? lr : Double.NaN,
          me ? seconds : 0));
    }
    emit(
        new EpochMetrics(
            epoch, total, phase, bm, val, test, Map.of("sum", test), Double.NaN, seconds,
            tracker.peakNativeBytes(), 0));
  }

  private void emit(EpochMetrics m) {
    if (runDir != null) {
      try {
        runDir.appendMetrics(m);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    listener.onEpochEnd(m);
  }

  private void checkpoint(int epochs) {
    checkpoint(epochs, config.trainer().keepCheckpoints());
  }

  private void checkpoint(int epochs, int keep) {
    if (runDir == null) {
      return;
    }
    try {
      runDir.writeCheckpoint(graph, epochs, keep);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void prune() {
    if (runDir == null) {
      return;
    }
    try {
      runDir.pruneCheckpoints(config.trainer().keepCheckpoints());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void writeProgress(Progress p) {
    if (runDir == null || config.trainer().schedule() != Schedule.GREEDY) {
      return;
    }
    try {
      runDir.writeAtomically(PROGRESS, RunDirectory.toJson(p));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private record Scores(double[] val, double[] test) {}

  /** The current input of each encoding; shared encodings share one array. */
  private static final class Inputs implements AutoCloseable {
    final INDArray train;
    final INDArray val;
    final INDArray test;
    final boolean owned;

    Inputs(GraphRule.Encodings enc) {
      this(enc.train().rows(), enc.validation().rows(), enc.test().rows(), false);
    }

    private Inputs(INDArray train, INDArray val, INDArray test, boolean owned) {
      this.train = train;
      this.val = val;
      this.test = test;
      this.owned = owned;
    }

    Inputs next(Block b, GraphRule.Encodings enc) {
      INDArray t = output(b, train, enc.train());
      INDArray v = null;
      try {
        v = val == train ? t : output(b, val, enc.validation());
        INDArray s = test == train ? t : test == val ? v : output(b, test, enc.test());
        close();
        return new Inputs(t, v, s, true);
      } catch (RuntimeException e) {
        t.close();
        if (v != null && v != t) {
          v.close();
        }
        throw e;
      }
    }

    @Override
    public void close() {
      if (!owned) {
        return;
      }
      train.close();
      if (val != train) {
        val.close();
      }
      if (test != train && test != val) {
        test.close();
      }
    }
  }
}

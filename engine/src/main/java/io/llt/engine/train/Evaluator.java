package io.llt.engine.train;

import io.llt.engine.data.Batch;
import io.llt.engine.data.Batches;
import io.llt.engine.data.Dataset;
import io.llt.engine.graph.Block;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.memory.MemoryPhase;
import io.llt.engine.memory.MemoryTracker;
import io.llt.engine.spi.BlockInference;
import io.llt.engine.spi.Readout;
import io.llt.engine.spi.ReadoutSpec;
import io.llt.engine.spi.Signals;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Evaluates a block chain with its rules' own inference procedure: the first block's rule encodes
 * the batch (Forward-Forward: one copy per candidate label), every block runs its rule's {@link
 * io.llt.engine.spi.LocalRule#infer}, and each of the network's readouts combines the per-block
 * scores ({@link Readout#LAST} or {@link Readout#SUM}). Every readout is reported; the first is
 * the headline.
 */
public final class Evaluator {
  private Evaluator() {}

  /**
   * Accuracy of every readout, as fractions in [0, 1].
   *
   * @param readouts accuracy by readout name, the headline first; a readout no evaluated block
   *     contributes to (for example the last block's softmax head while greedy training has not
   *     reached it) is absent
   * @param headlineName the name of the headline readout
   */
  public record Accuracy(Map<String, Double> readouts, String headlineName) {
    /** Returns the headline accuracy, or NaN when the headline readout is not available yet. */
    public double headline() {
      return readouts.getOrDefault(headlineName, Double.NaN);
    }
  }

  /**
   * Evaluates the first {@code blockCount} blocks of {@code graph} on {@code data}.
   *
   * @param graph the trained chain
   * @param blockCount how many blocks to use (all for a finished run; fewer during greedy training)
   * @param data the split to evaluate
   * @param batchSize evaluation batch size
   */
  public static Accuracy evaluate(BlockGraph graph, int blockCount, Dataset data, int batchSize) {
    return evaluate(graph, blockCount, data, batchSize, null);
  }

  /**
   * Evaluates as {@link #evaluate(BlockGraph, int, Dataset, int)}, reporting each block's
   * inference memory to {@code tracker} (may be null).
   */
  public static Accuracy evaluate(
      BlockGraph graph, int blockCount, Dataset data, int batchSize, MemoryTracker tracker) {
    return evaluate(graph, 0, blockCount, data, batchSize, tracker);
  }

  /**
   * Evaluates blocks {@code from} to {@code blockCount - 1} on {@code data}, whose features are
   * the input of block {@code from}: the frozen outputs of the blocks before it, cached by the
   * greedy trainer (the first block's rule encodes only when {@code from} is 0).
   */
  public static Accuracy evaluate(
      BlockGraph graph,
      int from,
      int blockCount,
      Dataset data,
      int batchSize,
      MemoryTracker tracker) {
    List<ReadoutSpec> specs = graph.readouts();
    Map<String, Long> correct = new LinkedHashMap<>();
    Iterator<Batch> it = Batches.sequential(data, batchSize);
    while (it.hasNext()) {
      try (Batch batch = it.next()) {
        Map<String, INDArray> scores = score(graph, from, blockCount, batch.features(), tracker);
        try {
          for (ReadoutSpec spec : specs) {
            INDArray s = scores.get(spec.name());
            if (s != null) {
              correct.merge(spec.name(), countCorrect(s, batch.classes()), Long::sum);
            }
          }
        } finally {
          scores.values().forEach(INDArray::close);
        }
      }
    }
    if (correct.isEmpty()) {
      throw new IllegalStateException(
          "no readout of the graph is available from its first " + blockCount + " block(s)");
    }
    Map<String, Double> acc = new LinkedHashMap<>();
    correct.forEach((k, v) -> acc.put(k, (double) v / data.size()));
    return new Accuracy(acc, specs.get(0).name());
  }

  /**
   * Returns the headline scores {@code [batch, numClasses]} of the first {@code blockCount} blocks
   * on one batch of features (outside workspaces; the caller closes them), or null when the
   * headline readout is not available from those blocks.
   */
  public static INDArray headlineScores(BlockGraph graph, int blockCount, INDArray features) {
    Map<String, INDArray> scores = score(graph, 0, blockCount, features, null);
    String head = graph.readouts().get(0).name();
    INDArray h = scores.remove(head);
    scores.values().forEach(INDArray::close);
    return h;
  }

  /**
   * Scores one batch with every readout: readout name to {@code [batch, numClasses]}, detached
   * (the caller closes them).
   */
  static Map<String, INDArray> score(
      BlockGraph graph, int from, int blockCount, INDArray features, MemoryTracker tracker) {
    return score(graph, from, blockCount, features, tracker, null);
  }

  /**
   * Scores one batch as {@link #score(BlockGraph, int, int, INDArray, MemoryTracker)}, showing each
   * block's inference output to {@code observer} (may be null) inside the block's workspace.
   */
  static Map<String, INDArray> score(
      BlockGraph graph,
      int from,
      int blockCount,
      INDArray features,
      MemoryTracker tracker,
      java.util.function.ObjIntConsumer<INDArray> observer) {
    Map<String, INDArray> last = new HashMap<>();
    Map<String, INDArray> sum = new HashMap<>();
    traverse(
        graph,
        from,
        blockCount,
        features,
        tracker,
        (b, i, x, signals) -> {
          BlockInference inf =
              i < blockCount - 1 && b.rule().auxiliaryScores()
                  ? new BlockInference(b.forward(x, false), Map.of())
                  : b.rule().infer(b, b.state(), x, signals);
          if (observer != null) {
            observer.accept(inf.output(), i);
          }
          try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            for (var e : inf.scores().entrySet()) {
              INDArray old = last.put(e.getKey(), e.getValue().dup());
              if (old != null) {
                old.close();
              }
              INDArray acc = sum.get(e.getKey());
              if (acc == null) {
                sum.put(e.getKey(), e.getValue().dup());
              } else {
                acc.addi(e.getValue());
              }
            }
          }
          return inf;
        });
    Map<String, INDArray> out = new LinkedHashMap<>();
    for (ReadoutSpec spec : graph.readouts()) {
      INDArray s = (spec.combine() == Readout.SUM ? sum : last).get(spec.key());
      if (s != null) {
        try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
          out.put(spec.name(), s.dup());
        }
      }
    }
    last.values().forEach(INDArray::close);
    sum.values().forEach(INDArray::close);
    return out;
  }

  /** One block's inference step of {@link #traverse}, run inside the block's workspace. */
  @FunctionalInterface
  interface BlockStep {
    /**
     * Runs block {@code b} (index {@code i}) on {@code x}; the returned output is handed on.
     *
     * @param signals the batch's board
     */
    BlockInference run(Block b, int i, INDArray x, Signals signals);
  }

  /**
   * Runs blocks {@code from} to {@code blockCount - 1} on one batch of features: the first block's
   * rule encodes them (when {@code from} is 0), each block runs {@code step} inside its workspace
   * and hands its output on, and {@code tracker} (may be null) records each block's inference
   * memory.
   */
  static void traverse(
      BlockGraph graph,
      int from,
      int blockCount,
      INDArray features,
      MemoryTracker tracker,
      BlockStep step) {
    Block first = graph.blocks().get(0);
    INDArray x = features;
    if (from == 0) {
      try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        x = first.rule().encodeInference(first, first.state(), features);
      }
    }
    INDArray encoded = x;
    try (Signals signals = new Signals()) {
      for (int i = from; i < blockCount; i++) {
        Block b = graph.blocks().get(i);
        INDArray next = null;
        try (MemoryWorkspace ws = b.openWorkspace()) {
          BlockInference inf = step.run(b, i, x, signals);
          if (i < blockCount - 1) {
            next = b.handOff(inf.output());
          }
          if (tracker != null) {
            tracker.record(i, MemoryPhase.INFERENCE, b.fixedBytes(), ws.getPrimaryOffset());
          }
        }
        x = next;
      }
    } finally {
      if (encoded != features) {
        encoded.close();
      }
    }
  }

  /** Counts the rows of {@code scores} whose argmax is the class; in or out of a workspace. */
  static long countCorrect(INDArray scores, int[] classes) {
    INDArray am = Nd4j.argMax(scores, 1);
    long[] pred = am.toLongVector();
    if (!am.isAttached()) {
      am.close();
    }
    long c = 0;
    for (int i = 0; i < classes.length; i++) {
      if (pred[i] == classes[i]) {
        c++;
      }
    }
    return c;
  }
}

package io.llt.engine.train;

import io.llt.engine.data.Batch;
import io.llt.engine.data.Batches;
import io.llt.engine.data.Dataset;
import io.llt.engine.graph.Block;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.spi.Readout;
import java.util.Iterator;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Evaluates a block chain with its rules' own inference procedure: one forward pass, per-block
 * class scores from each rule, combined by {@link Readout#LAST} and {@link Readout#SUM}; both are
 * reported and the last block's rule chooses the headline.
 */
public final class Evaluator {
  private Evaluator() {}

  /**
   * Accuracy of both readouts, as fractions in [0, 1].
   *
   * @param last accuracy of the last scoring block's prediction
   * @param sum accuracy of the prediction from the sum of all blocks' scores
   * @param readout the readout the last block's rule chooses as the headline
   */
  public record Accuracy(double last, double sum, Readout readout) {
    /** Returns the headline accuracy. */
    public double headline() {
      return readout == Readout.SUM ? sum : last;
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
    long correctLast = 0;
    long correctSum = 0;
    Iterator<Batch> it = Batches.sequential(data, batchSize);
    while (it.hasNext()) {
      try (Batch batch = it.next()) {
        INDArray x = batch.features();
        INDArray last = null;
        INDArray sum = null;
        for (int i = 0; i < blockCount; i++) {
          Block b = graph.blocks().get(i);
          boolean needOutput = i < blockCount - 1;
          INDArray next = null;
          try (MemoryWorkspace ws = b.openWorkspace()) {
            INDArray out = b.forward(x, false);
            INDArray s = b.rule().scores(b, b.state(), out);
            try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
              if (s != null) {
                if (last != null) {
                  last.close();
                }
                last = s.dup();
                if (sum == null) {
                  sum = s.dup();
                } else {
                  sum.addi(s);
                }
              }
            }
            if (needOutput) {
              next = b.handOff(out);
            }
          }
          x = next;
        }
        if (last == null) {
          throw new IllegalStateException("no block of the graph produces class scores");
        }
        correctLast += countCorrect(last, batch.classes());
        correctSum += countCorrect(sum, batch.classes());
        last.close();
        sum.close();
      }
    }
    int n = data.size();
    return new Accuracy(
        (double) correctLast / n, (double) correctSum / n, graph.readout());
  }

  private static long countCorrect(INDArray scores, int[] classes) {
    INDArray am = Nd4j.argMax(scores, 1);
    long[] pred = am.toLongVector();
    am.close();
    long c = 0;
    for (int i = 0; i < classes.length; i++) {
      if (pred[i] == classes[i]) {
        c++;
      }
    }
    return c;
  }
}

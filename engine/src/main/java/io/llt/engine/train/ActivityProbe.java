package io.llt.engine.train;

import io.llt.engine.data.Batch;
import io.llt.engine.data.Batches;
import io.llt.engine.data.Dataset;
import io.llt.engine.graph.BlockGraph;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How alive each block's inference output is ({@code llt eval --activity}): per block and per row
 * group, the fraction of silent rows (no entry above zero), the mean number of entries above zero
 * per row, and the mean square of the entries. A rule that runs several rows per example (Forward-
 * Forward: one per candidate label, then the neutral-label row) gives one group per such block of
 * rows, in its encoding's order; every other rule gives one group.
 */
public final class ActivityProbe {
  private ActivityProbe() {}

  /**
   * One row group of one block.
   *
   * @param group the group's index in the encoding's row order
   * @param silentRows fraction of rows with no entry above zero
   * @param meanActive mean number of entries above zero per row
   * @param meanSquare mean of the squared entries
   */
  public record Group(int group, double silentRows, double meanActive, double meanSquare) {}

  /**
   * One block's groups.
   *
   * @param block the block's id
   * @param width entries per row of its output
   * @param groups one per row group
   */
  public record BlockActivity(String block, long width, List<Group> groups) {}

  /**
   * Runs the graph's inference on the first {@code examples} examples of {@code data} and measures
   * every block's output.
   *
   * @throws IllegalArgumentException when {@code examples} is not positive
   */
  public static List<BlockActivity> measure(
      BlockGraph graph, Dataset data, int batchSize, int examples) {
    if (examples <= 0) {
      throw new IllegalArgumentException("examples must be > 0, not " + examples);
    }
    Dataset head = data.head(examples);
    int blocks = graph.blocks().size();
    // per block, per group: rows, silent rows, active entries, sum of squares
    List<List<double[]>> acc = new ArrayList<>();
    long[] width = new long[blocks];
    for (int i = 0; i < blocks; i++) {
      acc.add(new ArrayList<>());
    }
    Iterator<Batch> it = Batches.sequential(head, batchSize);
    while (it.hasNext()) {
      try (Batch batch = it.next()) {
        long b = batch.size();
        Evaluator.score(
                graph,
                0,
                blocks,
                batch.features(),
                null,
                (out, i) -> {
                  long rows = out.size(0);
                  INDArray flat = out.reshape('c', rows, out.length() / rows);
                  width[i] = flat.size(1);
                  INDArray d = flat.castTo(DataType.DOUBLE);
                  double[] active = d.gt(0).castTo(DataType.DOUBLE).sum(1).toDoubleVector();
                  double[] squares = d.mul(d).sum(1).toDoubleVector();
                  int groups = rows % b == 0 ? (int) (rows / b) : 1;
                  List<double[]> g = acc.get(i);
                  while (g.size() < groups) {
                    g.add(new double[4]);
                  }
                  for (int r = 0; r < rows; r++) {
                    double[] a = g.get(groups == 1 ? 0 : (int) (r / b));
                    a[0]++;
                    a[1] += active[r] == 0 ? 1 : 0;
                    a[2] += active[r];
                    a[3] += squares[r];
                  }
                })
            .values()
            .forEach(INDArray::close);
      }
    }
    List<BlockActivity> out = new ArrayList<>();
    for (int i = 0; i < blocks; i++) {
      List<Group> groups = new ArrayList<>();
      List<double[]> g = acc.get(i);
      for (int k = 0; k < g.size(); k++) {
        double[] a = g.get(k);
        groups.add(new Group(k, a[1] / a[0], a[2] / a[0], a[3] / (a[0] * width[i])));
      }
      out.add(new BlockActivity(graph.blocks().get(i).id(), width[i], groups));
    }
    return out;
  }
}

package io.llt.rules.common;

import io.llt.engine.data.graph.NodeGraph;
import io.llt.engine.graph.Block;
import io.llt.engine.spi.GraphEncoding;
import io.llt.engine.spi.GraphRule;
import io.llt.engine.spi.StepResult;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.factory.ops.NDBase;

/**
 * A softmax head on a graph network's node embeddings, trained on the training nodes only (the
 * full-graph form of {@link SoftmaxHead#step}): the backprop baseline on graphs, as the
 * reference's {@code CrossEntropyLoss(out[train_mask], y[train_mask])}.
 */
public final class GraphSoftmax {
  private static final NDBase OPS = new NDBase();

  private GraphSoftmax() {}

  /**
   * The plain encoding: the node features over the graph's own edges, the training nodes'
   * labels, and no other label anywhere; one encoding for training and scoring.
   */
  public static GraphRule.Encodings encode(NodeGraph g) {
    int[] labels = new int[g.numNodes()];
    Arrays.fill(labels, -1);
    for (int v : g.train()) {
      labels[v] = g.labels()[v];
    }
    GraphEncoding e = new GraphEncoding(g.features(), g.adjacency(), labels, g.numNodes(), 1);
    return new GraphRule.Encodings(e, e, e);
  }

  /**
   * Forward through the block over every node, the head's cross-entropy on the labelled rows,
   * and the block's backward from the gradient scattered back into a zero {@code dL/da}.
   *
   * @param head the output layer, or null when the block's output already is the class logits
   */
  public static StepResult step(
      Block block, SoftmaxHead head, INDArray input, GraphEncoding enc) {
    INDArray a = block.forward(input, true);
    int[] lab = enc.rowLabels();
    int count = (int) Arrays.stream(lab).filter(y -> y >= 0).count();
    int[] rows = new int[count];
    int[] y = new int[count];
    for (int r = 0, i = 0; r < lab.length; r++) {
      if (lab[r] >= 0) {
        rows[i] = r;
        y[i++] = lab[r];
      }
    }
    INDArray idx = Nd4j.createFromArray(rows);
    INDArray at = OPS.gather(a, idx, 0);
    double[] loss = new double[1];
    INDArray dat;
    if (head == null) {
      dat = SoftmaxHead.crossEntropyGradient(at, y, loss);
    } else {
      dat = head.inputGradient(head.headGradients(at, y, loss));
    }
    INDArray da = scatterRows(dat, rows, a.size(0));
    block.backward(da);
    return new StepResult(a, loss[0]);
  }

  /**
   * Returns a zero {@code [numRows, width]} array with row {@code rows[i]} set to row i of {@code
   * src} (distinct rows). Done on the host: ND4J M2.1's {@code unsorted_segment_sum} leaves a
   * detached copy of its input behind on every call (docs/RESULTS.md, issue 9).
   */
  public static INDArray scatterRows(INDArray src, int[] rows, long numRows) {
    int width = (int) src.size(1);
    INDArray c =
        src.ordering() == 'c' && !src.isView() && src.data().length() == src.length()
            ? src
            : src.dup('c');
    double[] v = c.data().asDouble();
    double[] out = new double[(int) (numRows * width)];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(v, i * width, out, rows[i] * width, width);
    }
    INDArray d = Nd4j.create(out, new long[] {numRows, width}, 'c');
    return src.dataType() == org.nd4j.linalg.api.buffer.DataType.DOUBLE ? d : d.castTo(src.dataType());
  }

  /** Returns the head's class scores (or the output itself, when head is null) for the real nodes. */
  public static INDArray scores(SoftmaxHead head, INDArray output, GraphEncoding enc) {
    INDArray s = head == null ? output : head.scores(output);
    return s.size(0) == enc.numNodes() ? s : s.get(
        org.nd4j.linalg.indexing.NDArrayIndex.interval(0, enc.numNodes()),
        org.nd4j.linalg.indexing.NDArrayIndex.all());
  }
}

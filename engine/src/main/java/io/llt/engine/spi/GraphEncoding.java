package io.llt.engine.spi;

import io.llt.engine.data.graph.Adjacency;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The rows a chain of graph blocks exchanges for one purpose (training, validation or test
 * scoring), as the first block's rule lays them out: for example the real nodes followed by one
 * class node per class (ForwardGNN's single-forward), or one copy of the graph per candidate label
 * (label appending).
 *
 * @param rows the input rows {@code [numRows, width]}, outside any workspace
 * @param adjacency the edges between the rows
 * @param rowLabels per row, the class its training objective uses, or -1 (for an inference
 *     encoding, -1 everywhere the rule does not need a label)
 * @param numNodes the number of real nodes of the graph
 * @param copies how many copies of the graph the rows stack (1, or one per class for the
 *     Forward-Forward layouts); the rows divide evenly among them
 */
public record GraphEncoding(
    INDArray rows, Adjacency adjacency, int[] rowLabels, int numNodes, int copies) {
  /** Checks that the parts agree. */
  public GraphEncoding {
    if (rows.size(0) != adjacency.numRows() || rowLabels.length != adjacency.numRows()) {
      throw new IllegalArgumentException(
          "encoding rows disagree: " + rows.size(0) + " feature rows, " + adjacency.numRows()
              + " graph rows, " + rowLabels.length + " labels");
    }
    if (copies <= 0 || rowLabels.length % copies != 0) {
      throw new IllegalArgumentException(
          rowLabels.length + " rows do not divide into " + copies + " copies");
    }
  }

  /** Returns the rows of one copy of the graph. */
  public int rowsPerCopy() {
    return rowLabels.length / copies;
  }
}

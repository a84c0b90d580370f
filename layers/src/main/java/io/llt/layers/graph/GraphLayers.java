package io.llt.layers.graph;

import io.llt.engine.data.graph.Adjacency;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Checks shared by the graph layers. */
final class GraphLayers {
  private GraphLayers() {}

  /** Returns the attached adjacency, checked against the input's rows. */
  static Adjacency require(Adjacency a, INDArray input, String type) {
    if (a == null) {
      throw new IllegalStateException(
          "a '" + type + "' layer ran before a graph was attached: graph layers train only on"
              + " graph data (data.type cora or cora-ml)");
    }
    if (input.size(0) != a.numRows()) {
      throw new IllegalStateException(
          "a '" + type + "' layer got " + input.size(0) + " rows but its graph has "
              + a.numRows() + " nodes; graph layers see every node at once");
    }
    return a;
  }
}

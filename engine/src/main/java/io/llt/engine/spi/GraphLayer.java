package io.llt.engine.spi;

import io.llt.engine.data.graph.Adjacency;

/**
 * A layer whose rows are the nodes of a graph and whose output mixes each node with its
 * neighbours (GCN, GraphSAGE, GAT). Rows are no longer independent examples: a forward always sees
 * every row of the graph it is attached to, in order.
 *
 * <p>The full-graph trainer attaches the adjacency of the rows it is about to pass (training,
 * validation or test encoding) before each forward; the layer keeps it until the next attach. Its
 * backward uses the adjacency of the last training forward.
 */
public interface GraphLayer extends Layer {
  /** Attaches the adjacency of the rows the next forward will see. */
  void attach(Adjacency adjacency);
}

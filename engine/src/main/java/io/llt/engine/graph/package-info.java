/**
 * The block chain: {@link io.llt.engine.graph.Block} (layers, rule state, flat parameters, optimizer, workspace) and {@link io.llt.engine.graph.GraphBuilder}, which validates a model against the data's shape and builds it for a schedule.
 */
package io.llt.engine.graph;

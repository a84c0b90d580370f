package io.llt.engine.train;

import io.llt.engine.BadInputException;
import io.llt.engine.graph.Block;
import io.llt.engine.graph.BlockGraph;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Writes and restores checkpoints: per block, the flat parameters, the optimizer state and its
 * step count, the rule state's fixed buffers, the layers' buffers (running statistics), after a whole number of trainer epochs. Random streams need no saving: each is
 * derived from the run seed and the epoch ({@link io.llt.engine.util.Seeds}).
 *
 * <p>Writes are atomic: the file is written beside its target and moved into place, so a crash
 * never leaves a truncated checkpoint under the final name.
 */
public final class Checkpoints {
  private static final String MAGIC = "LLT-CHECKPOINT-3";

  private Checkpoints() {}

  /** Writes a checkpoint of {@code graph} after {@code epochsCompleted} trainer epochs. */
  public static void write(Path file, BlockGraph graph, int epochsCompleted) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream os = Files.newOutputStream(tmp);
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(os, 1 << 20))) {
      out.writeUTF(MAGIC);
      out.writeUTF(graph.schedule().name());
      out.writeInt(epochsCompleted);
      out.writeInt(graph.blocks().size());
      for (Block b : graph.blocks()) {
        out.writeUTF(b.id());
        out.writeLong(b.params().length());
        Nd4j.write(b.params(), out);
        out.writeLong(b.optimizer().steps());
        INDArray st = b.optimizer().exportState();
        out.writeBoolean(st != null);
        if (st != null) {
          try (st) {
            Nd4j.write(st, out);
          }
        }
        INDArray buf = b.state().buffers();
        out.writeBoolean(buf != null);
        if (buf != null) {
          Nd4j.write(buf, out);
        }
        INDArray lb = b.layerBuffers();
        out.writeBoolean(lb != null);
        if (lb != null) {
          Nd4j.write(lb, out);
        }
      }
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Restores {@code graph} from a checkpoint written for the same config.
   *
   * @return the number of trainer epochs completed when it was written
   * @throws BadInputException when the file is not a checkpoint of this graph
   */
  public static int restore(Path file, BlockGraph graph) {
    try (InputStream is = Files.newInputStream(file);
        DataInputStream in = new DataInputStream(new BufferedInputStream(is, 1 << 20));
        MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      String magic = in.readUTF();
      if (!MAGIC.equals(magic)) {
        throw new BadInputException(
            file
                + (magic.startsWith("LLT-CHECKPOINT-")
                    ? ": checkpoint format " + magic + " is from another llt version; retrain"
                    : ": not an llt checkpoint"));
      }
      String schedule = in.readUTF();
      if (!schedule.equals(graph.schedule().name())) {
        throw new BadInputException(
            file + ": written for schedule " + schedule + ", not " + graph.schedule());
      }
      int epochs = in.readInt();
      int n = in.readInt();
      if (n != graph.blocks().size()) {
        throw new BadInputException(
            file + ": has " + n + " blocks, the config has " + graph.blocks().size());
      }
      for (Block b : graph.blocks()) {
        String id = in.readUTF();
        long len = in.readLong();
        if (!id.equals(b.id()) || len != b.params().length()) {
          throw new BadInputException(
              file + ": block '" + id + "' with " + len + " parameters does not match block '"
                  + b.id() + "' with " + b.params().length() + "; was the config changed?");
        }
        try (INDArray p = Nd4j.read(in)) {
          b.params().assign(p.reshape(b.params().shape()));
        }
        b.optimizer().restoreSteps(in.readLong());
        boolean hasState = in.readBoolean();
        long stateLength = b.optimizer().stateLength();
        if (hasState != (stateLength > 0)) {
          throw new BadInputException(file + ": optimizer state of block '" + id + "' differs");
        }
        if (hasState) {
          try (INDArray s = Nd4j.read(in)) {
            if (s.length() != stateLength) {
              throw new BadInputException(file + ": optimizer state of block '" + id + "' differs");
            }
            b.optimizer().importState(s);
          }
        }
        boolean hasBuffers = in.readBoolean();
        INDArray buf = b.state().buffers();
        if (hasBuffers != (buf != null)) {
          throw new BadInputException(file + ": rule state of block '" + id + "' differs");
        }
        if (hasBuffers) {
          try (INDArray s = Nd4j.read(in)) {
            if (s.length() != buf.length()) {
              throw new BadInputException(file + ": rule state of block '" + id + "' differs");
            }
            buf.assign(s.reshape(buf.shape()));
          }
        }
        boolean hasLayerBuffers = in.readBoolean();
        INDArray lb = b.layerBuffers();
        if (hasLayerBuffers != (lb != null)) {
          throw new BadInputException(file + ": layer buffers of block '" + id + "' differ");
        }
        if (hasLayerBuffers) {
          try (INDArray s = Nd4j.read(in)) {
            if (s.length() != lb.length()) {
              throw new BadInputException(file + ": layer buffers of block '" + id + "' differ");
            }
            lb.assign(s.reshape(lb.shape()));
          }
        }
        b.state().restored();
        b.publishParams();
      }
      return epochs;
    } catch (IOException e) {
      throw new BadInputException(file + ": cannot read checkpoint: " + e.getMessage(), e);
    }
  }
}

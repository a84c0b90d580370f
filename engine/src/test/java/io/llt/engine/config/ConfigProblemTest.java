package io.llt.engine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigProblemTest {
  @Test
  void rendersPositionPathAndMessageOnOneLine() {
    assertThat(
            new ConfigProblem(
                "configs/x.yaml",
                14,
                7,
                "model.blocks[2].rule.learningRate",
                "must be > 0, found -0.01"))
        .hasToString(
            "configs/x.yaml:14:7 model.blocks[2].rule.learningRate must be > 0, found -0.01");
  }

  @Test
  void leavesOutAMissingPositionOrPath() {
    assertThat(new ConfigProblem("--set a=1", 0, 0, "a", "must be a list"))
        .hasToString("--set a=1 a must be a list");
    assertThat(new ConfigProblem("x.yaml", 0, 0, "", "config file not found"))
        .hasToString("x.yaml: config file not found");
    assertThat(new ConfigProblem("x.yaml", 3, 5, "", "invalid YAML"))
        .hasToString("x.yaml:3:5 invalid YAML");
  }

  @Test
  void exceptionJoinsProblemsOnePerLineWithExitCodeTwo() {
    ConfigException e =
        new ConfigException(
            List.of(
                new ConfigProblem("x.yaml", 1, 1, "a", "m1"),
                new ConfigProblem("x.yaml", 2, 3, "b", "m2")));

    assertThat(e.getMessage()).isEqualTo("x.yaml:1:1 a m1\nx.yaml:2:3 b m2");
    assertThat(e.exitCode()).isEqualTo(2);
    assertThat(e.problems()).hasSize(2);
  }

  @Test
  void exceptionNeedsAProblem() {
    assertThatThrownBy(() -> new ConfigException(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

package io.llt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code llt validate}: every config under configs/ is valid, and every check rejects bad input by path and value. */
class ValidateCommandTest {
  static final Path CONFIGS = Path.of("..", "configs");
  static final String SMOKE = "../configs/smoke/mono-forward-synthetic.yaml";

  @TempDir Path tmp;

  @Test
  void everyConfigInTheRepositoryValidates() throws IOException {
    List<String> files;
    try (Stream<Path> s = Files.walk(CONFIGS)) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).map(Path::toString).sorted().collect(Collectors.toList());
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(7);
    String[] args = Stream.concat(Stream.of("validate"), files.stream()).toArray(String[]::new);
    Cli r = Cli.run(args);
    assertThat(r.exit).as(r.toString()).isZero();
    for (String f : files) {
      assertThat(r.out).contains("ok      " + f);
    }
  }

  @Test
  void aFileWithThreeMistakesReportsAllThreeWithLineAndColumn() throws IOException {
    Path f = tmp.resolve("three.yaml");
    Files.writeString(
        f,
        String.join(
            "\n",
            "name: three-mistakes",
            "data: {type: synthetic}",
            "model:",
            "  rule: {type: mono-forwad}",
            "  blocks:",
            "    - {layers: [{type: dense, units: -5}]}",
            "trainer: {epochs: 2, lerningRate: 0.1}",
            ""));
    Cli r = Cli.run("validate", f.toString());
    assertThat(r.exit).as(r.toString()).isEqualTo(2);
    List<String> lines = r.err.lines().filter(l -> l.startsWith(f.toString())).collect(Collectors.toList());
    assertThat(lines).as(r.toString()).hasSize(3);
    assertThat(lines.get(0)).startsWith(f + ":4:").contains("model.rule.type", "'mono-forwad'", "mono-forward");
    assertThat(lines.get(1)).startsWith(f + ":6:").contains("model.blocks[0].layers[0].units", "must be > 0, found -5");
    assertThat(lines.get(2)).startsWith(f + ":7:").contains("trainer.lerningRate", "unknown key");
  }

  /** One negative case per validation rule: the message names the dotted path and the bad value. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "name=has space            | name                                   | 'has space'",
        "trainer.epochs=0          | trainer.epochs                         | found 0",
        "trainer.batchSize=-1      | trainer.batchSize                      | found -1",
        "trainer.evalBatchSize=0   | trainer.evalBatchSize                  | found 0",
        "trainer.keepCheckpoints=-2 | trainer.keepCheckpoints               | found -2",
        "trainer.dataType=half     | trainer.dataType                       | 'half'",
        "trainer.schedule=gredy    | trainer.schedule                       | 'gredy'",
        "trainer.optimizer.learningRate=-0.01 | trainer.optimizer.learningRate | found -0.01",
        "trainer.optimizer.beta1=1.0 | trainer.optimizer.beta1              | found 1.0",
        "trainer.optimizer.beta2=-0.1 | trainer.optimizer.beta2             | found -0.1",
        "trainer.optimizer.epsilon=0 | trainer.optimizer.epsilon            | found 0",
        "trainer.optimizer.weightDecay=-1 | trainer.optimizer.weightDecay   | found -1",
        "trainer.optimizer.momentum=0.9 | trainer.optimizer.momentum        | found 0.9",
        "trainer.optimizer={type: sgd, momentum: 1.5} | trainer.optimizer.momentum | found 1.5",
        "trainer.optimizer={type: sgd, nesterov: true} | trainer.optimizer.nesterov | momentum 0",
        "trainer.optimizer={type: sgd, beta1: 0.9} | trainer.optimizer.beta1 | found 0.9",
        "trainer.optimizer.schedule={type: step, stepEpochs: 0} | trainer.optimizer.schedule.stepEpochs | found 0",
        "trainer.optimizer.schedule={type: step, gamma: 2} | trainer.optimizer.schedule.gamma | found 2",
        "trainer.optimizer.schedule={type: cosine, minLearningRate: -1} | trainer.optimizer.schedule.minLearningRate | found -1",
        "trainer.optimizer.schedule={type: constant, gamma: 0.5} | trainer.optimizer.schedule.gamma | found 0.5",
        "model.blocks[0].layers[0].units=0 | model.blocks[0].layers[0].units | found 0",
        "model.blocks[0].layers[0].activation=swish | model.blocks[0].layers[0].activation | 'swish'",
        "model.blocks[1].layers[1].rate=1.5 | model.blocks[1].layers[1].rate | found 1.5",
        "model.blocks[0].layers[0]={type: normalize, epsilon: 0} | model.blocks[0].layers[0].epsilon | found 0",
        "model.blocks[0].layers[0]={type: convolution} | model.blocks[0].layers[0].type | 'convolution'",
        "model.blocks[0].layers=[] | model.blocks[0].layers              | must not be empty",
        "model.blocks=[]           | model.blocks                           | must not be empty",
        "model.blocks[0].id=a/b    | model.blocks[0].id                     | 'a/b'",
        "model.blocks[1].id=b1     | model.blocks[1].id                     | 'b1'",
        "model.input=[0]           | model.input                            | [0]",
        "model.input=[10]          | model.input                            | [10]",
        "model.rule.prediction=middle | model.rule.prediction               | 'middle'",
        "model.rule={type: backprop} | model.rule.type                      | 'backprop'",
        "model.rule.type=hebbian   | model.rule.type                        | 'hebbian'",
        "data.features=0           | data.features                          | found 0",
        "data.classes=1            | data.classes                           | found 1",
        "data.noise=-1             | data.noise                             | found -1",
        "data.validation=-3        | data.validation                        | found -3",
        "data.trainSize=abc        | data.trainSize                         | 'abc'",
        "seed=1.5                  | seed                                   | '1.5'",
        "name=null                 | name                                   | is required",
        "data=null                 | data                                   | is required",
        "trainer.epochs=null       | trainer.epochs                         | is required",
        "model.blocks[0]={id: x}   | model.blocks[0].layers                 | is required",
        "model.blocks[0].layers[0].units=null | model.blocks[0].layers[0].units | is required",
        "model.blocks[0].layers[0].bias=maybe | model.blocks[0].layers[0].bias | 'maybe'",
        "model.blocks[0].layers[0].init=random | model.blocks[0].layers[0].init | 'random'",
        "model.blocks[0].layers[0]={type: activation} | model.blocks[0].layers[0].function | is required",
        "model.blocks[0].layers[0]={type: normalize, kind: l1} | model.blocks[0].layers[0].kind | 'l1'",
        "model.blocks[1].layers[1]={type: dropout} | model.blocks[1].layers[1].rate | is required",
        "model.rule.projectionInit=zero | model.rule.projectionInit         | 'zero'",
        "model.rule=null           | model.blocks[0].rule                   | is required",
        "data.trainSize=0          | data.trainSize                         | found 0",
        "data.testSize=-4          | data.testSize                          | found -4",
        "data.validation=384       | data.validation                        | 384",
        "data={type: fashion-mnist, validation: -1} | data.validation      | found -1",
        "data={type: fashion-mnist, trainLimit: 0} | data.trainLimit        | found 0",
        "data={type: fashion-mnist, testLimit: -2} | data.testLimit         | found -2",
        "data={type: fashion-mnist, normalization: zscore} | data.normalization | 'zscore'",
        "data={type: mnist, path: 7, color: red} | data.color               | unknown key",
        "data.type=cifar100        | data.type                              | 'cifar100'",
        "data={type: cifar10, validation: -1} | data.validation            | found -1",
        "data={type: cifar10, trainLimit: 0} | data.trainLimit              | found 0",
        "data={type: cifar10, normalization: zscore} | data.normalization   | 'zscore'",
        "trainer.stages=2          | trainer.stages                         | found 2",
        "trainer.queueCapacity=3   | trainer.queueCapacity                  | found 3",
        "trainer={schedule: pipelined, epochs: 1, stages: 5} | trainer.stages | is 5",
        "trainer={schedule: pipelined, epochs: 1, stages: 0} | trainer.stages | found 0",
        "trainer={schedule: pipelined, epochs: 1, queueCapacity: 0} | trainer.queueCapacity | found 0",
      })
  void everyCheckRejectsBadInputWithPathAndValue(String override, String path, String value) {
    Cli r = Cli.run("validate", SMOKE, "--set", override);
    assertThat(r.exit).as(r.toString()).isEqualTo(2);
    assertThat(r.err).as(r.toString()).contains(" " + path + " ").contains(value);
  }

  /** SoftHebb and greedy-phase mistakes are validation errors naming the key, not run-time crashes. */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "model.blocks[0].layers[1].bias=true | model.blocks[0].layers | set bias: false",
        "model.blocks[0].layers=[{type: flatten}] | model.blocks[0].layers | needs a conv2d or dense layer",
        "model.blocks[0].layers[1].paddingMode=mirror | model.blocks[0].layers[1].paddingMode | 'mirror'",
        "model.blocks[0].layers[1].radius=-1 | model.blocks[0].layers[1].radius | found -1",
        "model.blocks[0].rule.learningRate=-0.1 | model.blocks[0].rule.learningRate | found -0.1",
        "trainer.phases=[{blocks: [readout]}, {blocks: [hebb]}] | trainer.phases[0].blocks[0] | chain order",
        "trainer.phases=[{blocks: [hebb]}] | trainer.phases | leaves out [readout]",
        "trainer.phases=[{blocks: [hebb, nope]}] | trainer.phases[0].blocks[1] | 'nope' is not a block id",
        "trainer.schedule=simultaneous | trainer.phases | greedy only",
        "model.input=[1, 5, 6] | model.input | same number of values",
      })
  void softHebbMistakesAreNamedErrors(String override, String path, String value) {
    Cli r = Cli.run("validate", "../configs/smoke/softhebb-synthetic.yaml", "--set", override);
    assertThat(r.exit).as(r.toString()).isEqualTo(2);
    assertThat(r.err).as(r.toString()).contains(" " + path + " ").contains(value);
    assertThat(r.err).as(r.toString()).doesNotContain("internal error", "Exception");
  }

  /** NoProp mistakes are validation errors naming the key, not run-time crashes. */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "trainer.schedule=greedy | trainer.schedule | use trainer.schedule: simultaneous",
        "trainer.schedule=backprop | trainer.schedule | noprop-dt-backprop.yaml",
        "model.rule.fusion[3].units=4 | model.blocks[0].layers | rule fusion ends with 4 values",
        "model.rule.labelResidual[4]={type: dense, units: 8} | model.blocks[0].layers | skip connection",
        "model.rule.labelStem[0].units=0 | model.rule.labelStem[0].units | found 0",
        "model.rule.maxSignal=0.5 | model.blocks[0].layers | raise maxSignal",
        "model.rule.eta=0 | model.rule.eta | found 0",
        "model.rule.prediction=probabilities | model.rule.prediction | 'probabilities'",
        "model.rule.embeddingDim=16 | model.rule.embeddingDim | set embedding: learned",
        "model.rule.embedding=learned ; model.rule.trainEmbedding=false | model.rule.trainEmbedding | use one-hot or prototype",
      })
  void noPropMistakesAreNamedErrors(String overrides, String path, String value) {
    List<String> args = new ArrayList<>(List.of("validate", "../configs/smoke/noprop-synthetic.yaml"));
    for (String o : overrides.split(" ; ")) {
      args.add("--set");
      args.add(o);
    }
    Cli r = Cli.run(args.toArray(String[]::new));
    assertThat(r.exit).as(r.toString()).isEqualTo(2);
    assertThat(r.err).as(r.toString()).contains(" " + path + " ").contains(value);
    assertThat(r.err).as(r.toString()).doesNotContain("internal error", "Exception");
  }

  @Test
  void aCifar10ConfigValidatesWithoutItsFiles() {
    Cli r = Cli.run("validate", SMOKE, "--set", "data={type: cifar10, path: no/such/dir, validation: 5000}");
    assertThat(r.exit).as(r.toString()).isZero();
  }

  @Test
  void aMissingFileIsOneClearLine() {
    Cli r = Cli.run("validate", "no/such/file.yaml");
    assertThat(r.exit).isEqualTo(2);
    assertThat(r.err).contains("no/such/file.yaml").contains("not found");
  }
}

package org.grad4j.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.grad4j.core.Backend;
import org.grad4j.core.Shape;
import org.grad4j.core.io.AtomicFiles;
import org.grad4j.data.DataLoader;
import org.grad4j.data.FashionMnist;
import org.grad4j.data.Idx;
import org.grad4j.data.ImageDataset;
import org.grad4j.layers.BatchNorms;
import org.grad4j.layers.Init;
import org.grad4j.layers.Module;
import org.grad4j.layers.Sequential;
import org.grad4j.train.Checkpoint;
import org.grad4j.train.ConsoleReporter;
import org.grad4j.train.EpochMetrics;
import org.grad4j.train.MetricsFile;
import org.grad4j.train.SGD;
import org.grad4j.train.Trainer;
import org.grad4j.train.TrainingPlot;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * What the examples' command lines share: a model of the book trained on Fashion-MNIST with SGD
 * and xavier-uniform weights as d2l's {@code train_ch6} does, the options (epochs, batch size,
 * learning rate, resizing, threads, seed, data directory, {@code --train-limit}, metrics, curves and
 * checkpoints, resuming, batch-norm recalibration), their validation before any work, the training
 * run and its report, and the launcher that restarts the JVM with the Vector API. A subclass names
 * the command, builds its model and adds its own options and checks.
 */
abstract class TrainingCommand implements Callable<Integer> {
    /** The checkpoint's file name in {@code --out}. */
    static final String CHECKPOINT = "checkpoint.safetensors";

    @Option(names = "--epochs", description = "epochs to train (default: ${DEFAULT-VALUE})")
    int epochs = 10;

    @Option(names = "--batch-size", description = "training and evaluation batch size (default: ${DEFAULT-VALUE})")
    int batchSize = 256;

    @Option(names = "--lr", description = "SGD learning rate (default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--resize", paramLabel = "SIZE",
            description = "resize images to SIZE x SIZE, bilinear (default: ${DEFAULT-VALUE}; Fashion-MNIST is 28x28)")
    int resize;

    @Option(names = "--threads", description = "worker threads (default: available processors, ${DEFAULT-VALUE})")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--seed", description = "seed of initialisation and shuffling (default: ${DEFAULT-VALUE})")
    long seed = 0;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "directory with the four Fashion-MNIST files")
    Path dataDir;

    @Option(names = "--train-limit", paramLabel = "N", description = "use only the first N training images")
    Integer trainLimit;

    @Option(names = "--metrics", paramLabel = "FILE",
            description = "write per-epoch metrics as JSON lines to FILE (its directory must exist)")
    Path metrics;

    @Option(names = "--out", paramLabel = "DIR", description = "write training curves (PNG, SVG) and a checkpoint into "
            + "DIR (created if missing, inside an existing directory); a checkpoint already there is kept unless "
            + "this run resumes from it or --overwrite is given")
    Path out;

    @Option(names = "--resume", paramLabel = "FILE",
            description = "continue from a checkpoint file (DIR/" + CHECKPOINT + " of an earlier --out DIR)")
    Path resume;

    @Option(names = "--overwrite", description = "let this run replace the checkpoint already in --out")
    boolean overwrite;

    @Option(names = "--recalibrate", description = "after training, set every batch norm's running statistics to the "
            + "exact mean and variance over the training set and print test accuracy before and after")
    boolean recalibrate;

    @Option(names = "--recalibrate-batches", paramLabel = "N",
            description = "recalibrate on the first N training batches only (default: all)")
    Integer recalibrateBatches;

    @Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    final PrintStream stdout;
    /** Where the data comes from; tests point it at empty directories and a dead mirror. */
    FashionMnist source = new FashionMnist();
    /** The heap the run may use; tests pretend a smaller one. */
    long maxHeap = Runtime.getRuntime().maxMemory();

    /**
     * A command printing to {@code stdout}, with the chapter's learning rate and image size as the
     * defaults of {@code --lr} and {@code --resize}.
     */
    TrainingCommand(PrintStream stdout, double defaultLr, int defaultSize) {
        this.stdout = stdout;
        this.lr = defaultLr;
        this.resize = defaultSize;
    }

    /** The command's name: its messages start with it, the curves and the jar are named after it. */
    abstract String name();

    /**
     * The untrained model for {@code size x size} inputs; the caller seeds {@link Init} before and
     * sets xavier-uniform weights after.
     */
    abstract Sequential model(int size);

    /**
     * The subclass's own checks of its options, after the shared ones and before any work.
     *
     * @throws CommandLine.ParameterException naming the option, its value and what is expected
     */
    abstract void validate(int size);

    /** What the chapter prints after training; nothing by default. */
    void afterTraining(Sequential net) {
    }

    /**
     * The subclass's options that change what training computes, for the run configuration that
     * checkpoints record and a resume compares (see {@link Trainer#withConfig}); none here.
     */
    Map<String, String> modelOptions() {
        return Map.of();
    }

    /** How else a small training batch gets past the module that refused it, if the command has a way; "" here. */
    String smallBatchAlternative() {
        return "";
    }

    /** A usage error: picocli prints it with the usage hint and the command exits with 2. */
    final CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(new CommandLine(this), message);
    }

    @Override
    public Integer call() throws Exception {
        requirePositive("--epochs", epochs);
        requirePositive("--batch-size", batchSize);
        requirePositive("--threads", threads);
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw usage("--lr must be a positive number, got " + lr);
        }
        if (trainLimit != null) {
            requirePositive("--train-limit", trainLimit);
        }
        if (recalibrateBatches != null) {
            requirePositive("--recalibrate-batches", recalibrateBatches);
            if (!recalibrate) {
                throw usage("--recalibrate-batches needs --recalibrate");
            }
        }
        int size = resize;
        requirePositive("--resize", size);
        validate(size);

        Backend.setThreads(threads);
        Init.manualSeed(seed);
        Sequential net = model(size);
        Init.xavierUniformWeights(net, new Random(seed));
        int trainCount = trainLimit == null ? FashionMnist.Split.TRAIN.size()
                : Math.min(trainLimit, FashionMnist.Split.TRAIN.size());
        boolean dropLast = requireTrainableBatches(net, trainCount);
        requireMemory(net, size, trainCount, FashionMnist.Split.TEST.size());
        checkOutputPaths();

        FashionMnist data = dataDir == null ? source : source.withDirectory(dataDir);
        Path from = data.locate();
        stdout.println("Fashion-MNIST from " + from);
        data = data.withDirectory(from);
        ImageDataset train = data.load(FashionMnist.Split.TRAIN);
        ImageDataset test = data.load(FashionMnist.Split.TEST);
        if (trainLimit != null && trainLimit < train.size()) {
            train = train.slice(0, trainLimit);
        }
        if (size != FashionMnist.SIZE) {
            train = train.resize(size, size);
            test = test.resize(size, size);
        }

        stdout.println(net);
        stdout.println(net.summary(1, 1, size, size));

        SGD sgd = new SGD(net.parameters(), lr);
        Trainer trainer = new Trainer(net, sgd).withSeed(seed).withConfig("model", name())
                .withConfig("resize", Integer.toString(size))
                .withConfig("train_limit", trainLimit == null ? "none" : trainLimit.toString())
                .addListener(new ConsoleReporter(stdout, stdout == System.out && ConsoleReporter.isTerminal()));
        MetricsFile metricsFile = metrics == null ? null : new MetricsFile(metrics);
        if (metricsFile != null) {
            trainer.addListener(metricsFile);
        }
        if (out != null) {
            trainer.addListener(new TrainingPlot(out, name())).withCheckpoint(out.resolve(CHECKPOINT));
        }
        modelOptions().forEach(trainer::withConfig);
        if (resume != null) {
            Checkpoint c = Checkpoint.read(resume);
            trainer.resumeFrom(c);
            stdout.println("resumed from " + resume + " after epoch " + c.epoch());
        }
        DataLoader trainLoader = new DataLoader(train, batchSize).withShuffle(seed).withDropLast(dropLast)
                .withPrefetch(true);
        DataLoader testLoader = new DataLoader(test, batchSize).withPrefetch(true);
        List<EpochMetrics> history = trainer.fit(trainLoader, testLoader, epochs);

        if (recalibrate) {
            history = recalibrate(net, train, dropLast, testLoader, history, metricsFile);
        }
        EpochMetrics last = history.get(history.size() - 1);
        stdout.println(String.format(Locale.ROOT, "loss %.3f, train acc %.3f, test acc %.3f",
                last.trainLoss(), last.trainAccuracy(), last.testAccuracy()));
        stdout.println(String.format(Locale.ROOT, "%.1f examples/sec on cpu (%d threads, kernels: %s)",
                meanExamplesPerSecond(history), Backend.threads(),
                Backend.description().replaceFirst(", \\d+ threads?$", "")));
        afterTraining(net);
        return 0;
    }

    /**
     * Sets the running statistics to exact population statistics over the training set (in order,
     * unshuffled) and measures the test accuracy again; returns the history with the last epoch's
     * recalibrated accuracy, which is also written to the metrics file. {@code dropLast}: as the
     * training loader.
     */
    private List<EpochMetrics> recalibrate(Sequential net, ImageDataset train, boolean dropLast,
            DataLoader testLoader, List<EpochMetrics> history, MetricsFile metricsFile) {
        // Batch statistics, as in training: a last batch of one that training drops is dropped here too.
        DataLoader inOrder = new DataLoader(train, batchSize).withDropLast(dropLast);
        Iterable<org.grad4j.core.Tensor> images = () -> {
            DataLoader.Epoch epoch = inOrder.epoch(0);
            return new java.util.Iterator<>() {
                @Override
                public boolean hasNext() {
                    return epoch.hasNext();
                }

                @Override
                public org.grad4j.core.Tensor next() {
                    return epoch.next().images();
                }
            };
        };
        int used = BatchNorms.recalibrate(net, images, recalibrateBatches == null ? Integer.MAX_VALUE : recalibrateBatches);
        EpochMetrics last = history.get(history.size() - 1);
        EpochMetrics recalibrated = last.withRecalibratedTestAccuracy(Trainer.accuracy(net, testLoader));
        List<EpochMetrics> out = new ArrayList<>(history.subList(0, history.size() - 1));
        out.add(recalibrated);
        stdout.println(String.format(Locale.ROOT,
                "recalibrated on %d training batches: test acc %.4f with running averages, %.4f with exact statistics",
                used, last.testAccuracy(), recalibrated.recalibratedTestAccuracy()));
        if (metricsFile != null) {
            metricsFile.onEpochEnd(recalibrated, out);
        }
        return out;
    }

    /** d2l's figure: all training examples over all training compute, i.e. the harmonic mean of the epochs'. */
    static double meanExamplesPerSecond(List<EpochMetrics> history) {
        double seconds = 0;
        for (EpochMetrics m : history) {
            seconds += 1 / m.examplesPerSecond();
        }
        return history.size() / seconds;
    }

    /**
     * Checks every path option before any work (loading data, training), so that a typo costs a
     * second, not an epoch: {@code --resume} must be a checkpoint file; {@code --metrics} and the
     * checkpoint and curves in {@code --out} must be writable where they are (see
     * {@link AtomicFiles#prepare}, which also deletes temporaries that killed runs left beside them);
     * a checkpoint already in {@code --out} is replaced only by a run resumed from it or with
     * {@code --overwrite}. Creates {@code --out} (one level: a typo should fail, not create a tree).
     *
     * @throws IllegalArgumentException naming the option, its value and what is expected
     * @throws IOException if a path cannot be examined
     */
    void checkOutputPaths() throws IOException {
        if (overwrite && out == null) {
            throw new IllegalArgumentException("--overwrite replaces the checkpoint in --out, but no --out is given");
        }
        if (resume != null) {
            checkResume();
        }
        if (metrics != null) {
            prepare("--metrics", metrics, metrics);
        }
        if (out == null) {
            return;
        }
        Path checkpoint = out.resolve(CHECKPOINT);
        if (Files.isRegularFile(checkpoint) && !overwrite
                && !(resume != null && Files.isSameFile(resume, checkpoint))) {
            throw new IllegalArgumentException("--out " + out + " already holds the checkpoint " + checkpoint
                    + " of an earlier run; continue it with --resume " + checkpoint + ", or replace it with --overwrite");
        }
        if (!Files.isDirectory(out)) {
            createOut();
        }
        prepare("--out", out, checkpoint);
        prepare("--out", out, out.resolve(name() + ".png"));
        prepare("--out", out, out.resolve(name() + ".svg"));
    }

    private void checkResume() {
        if (Files.isDirectory(resume)) {
            Path inside = resume.resolve(CHECKPOINT);
            throw new IllegalArgumentException("--resume " + resume + ": is a directory, expected a checkpoint file"
                    + (Files.isRegularFile(inside) ? " such as " + inside : ""));
        }
        if (!Files.exists(resume)) {
            throw new IllegalArgumentException("--resume " + resume + ": no such file, expected a checkpoint file ("
                    + CHECKPOINT + " in the --out directory of an earlier run)");
        }
        if (!Files.isRegularFile(resume)) {
            throw new IllegalArgumentException("--resume " + resume + ": not a regular file, expected a checkpoint file");
        }
    }

    private void createOut() throws IOException {
        if (Files.exists(out)) {
            throw new IllegalArgumentException("--out " + out + ": is a file, expected a directory");
        }
        Path parent = out.toAbsolutePath().getParent();
        if (!Files.isDirectory(parent)) {
            throw new IllegalArgumentException("--out " + out + ": " + parent
                    + (Files.exists(parent) ? " is a file" : " does not exist (it is not created)")
                    + ", expected a new directory inside an existing one");
        }
        try {
            Files.createDirectory(out);
        } catch (FileSystemException e) {
            throw new IllegalArgumentException("--out " + out + ": cannot create a directory in " + parent
                    + (e.getReason() == null ? "" : " (" + e.getReason() + ")")
                    + ", expected a directory where files can be written", e);
        }
    }

    /** {@link AtomicFiles#prepare} of {@code file}, the value of {@code option} or a file in it. */
    private static void prepare(String option, Path value, Path file) {
        try {
            AtomicFiles.prepare(file);
        } catch (IOException e) {
            // The exception names the file: do not name it twice when it is the option's value.
            boolean isValue = e instanceof FileSystemException && value.toString().equals(((FileSystemException) e).getFile());
            throw new IllegalArgumentException(option + " " + (isValue ? "" : value + ": ") + e.getMessage(), e);
        }
    }

    /**
     * Refuses a batch size the model cannot train on, and says whether the last training batch
     * must be dropped because the model cannot train on it (a batch of one for BatchNorm1d),
     * saying so once.
     */
    private boolean requireTrainableBatches(Module net, int trainCount) {
        String problem = trainingBatchProblem(net, batchSize);
        if (problem != null) {
            throw usage("--batch-size " + batchSize + ": " + problem + "; use a larger --batch-size"
                    + smallBatchAlternative());
        }
        int last = trainCount % batchSize;
        problem = last == 0 ? null : trainingBatchProblem(net, last);
        if (problem == null) {
            return false;
        }
        if (trainCount < batchSize) {
            throw usage("--train-limit " + trainCount + ": " + problem);
        }
        stdout.println("dropping the last training batch of each epoch: it would hold " + last + " of " + trainCount
                + " images, and " + problem + " (another --batch-size or --train-limit keeps every image)");
        return true;
    }

    /** The first module that cannot train on {@code batch} images, followed by why, or null. */
    private static String trainingBatchProblem(Module net, int batch) {
        for (Module m : net.modules()) {
            Optional<String> problem = m.trainingBatchProblem(batch);
            if (problem.isPresent()) {
                return m + " " + problem.get();
            }
        }
        return null;
    }

    /**
     * Refuses, before loading anything, a run whose images cannot fit one Java array or whose
     * memory (roughly estimated) exceeds the heap, naming the options that change it.
     */
    private void requireMemory(Sequential net, int size, int trainCount, int testCount) {
        long plane = (long) size * size;
        int most = Math.max(trainCount, testCount);
        if (most * plane > Idx.MAX_BYTES) {
            throw usage(String.format(Locale.ROOT,
                    "--resize %d: %d images of %dx%d are %d floats, more than one Java array holds (%d); "
                    + "use a smaller --resize%s", size, most, size, size, most * plane, Idx.MAX_BYTES,
                    most == trainCount ? " or --train-limit" : ""));
        }
        long loaded = (long) (FashionMnist.Split.TRAIN.size() + testCount) * FashionMnist.SIZE * FashionMnist.SIZE
                * (Float.BYTES + 1);
        boolean copied = size != FashionMnist.SIZE || trainCount < FashionMnist.Split.TRAIN.size();
        long images = copied ? (trainCount + (long) testCount) * plane * Float.BYTES : 0;
        long activations = batchSize * trainingBytesPerExample(net, size);
        long needed = loaded + images + activations;
        if (needed > maxHeap) {
            throw usage(String.format(Locale.ROOT,
                    "this run needs about %s of heap (%d training and %d test images of %dx%d: %s; one training "
                    + "batch of %d: about %s; the files as loaded: %s), more than the %s this JVM may use; "
                    + "use a smaller --resize, --batch-size or --train-limit, or a larger heap (java -Xmx%dg -jar "
                    + "%s.jar)", gib(needed), trainCount, testCount, size, size, gib(images), batchSize,
                    gib(activations), gib(loaded), gib(maxHeap), (needed >> 30) + 1, name()));
        }
    }

    /**
     * Heap per example of a training step, roughly: every layer's output is kept for the
     * backward pass, which adds a gradient of each and working arrays (a convolution's unfolded
     * input) of about the same size.
     */
    static long trainingBytesPerExample(Sequential net, int size) {
        long floats = 0;
        for (Shape shape : net.outputShapes(1, 1, size, size)) {
            floats += shape.size();
        }
        return 3 * floats * Float.BYTES;
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }

    private void requirePositive(String option, long value) {
        if (value <= 0) {
            throw usage(option + " must be positive, got " + value);
        }
    }

    /**
     * Runs the command line of {@code app} and returns the exit code: 0 done, 1 training failed, 2
     * bad input or data.
     */
    static int run(TrainingCommand app, PrintStream err, String... args) {
        PrintStream out = app.stdout;
        String name = app.name();
        CommandLine cli = new CommandLine(app).setCaseInsensitiveEnumValuesAllowed(true);
        cli.setOut(new java.io.PrintWriter(out, true)).setErr(new java.io.PrintWriter(err, true));
        cli.setParameterExceptionHandler((e, argv) -> {
            err.println(name + ": " + e.getMessage());
            err.println("Try '" + name + " --help' for the options.");
            return 2;
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            err.println(name + ": " + e.getMessage());
            if (app.verbose) {
                e.printStackTrace(err);
            }
            return e instanceof java.io.IOException || e instanceof IllegalArgumentException ? 2 : 1;
        });
        return cli.execute(args);
    }

    /**
     * The examples' {@code main}: exits with the code of {@link #run} for the command that
     * {@code command} makes for {@code System.out}. When the JVM was started without the Vector API
     * module, the program ({@code main}, the class with the {@code main} method) restarts itself once
     * with {@code --add-modules jdk.incubator.vector}, so that {@code java -jar NAME.jar} gets the
     * SIMD kernels without flags; {@code -Dgrad4j.simd=false} keeps the portable path and skips the
     * restart. The restarted JVM lives no longer than the one that started it: TERM or INT (Ctrl-C)
     * of the launcher is passed on and waited for, and if the launcher is killed outright the child
     * notices within a fraction of a second that its parent is gone and exits.
     */
    static void launch(Class<?> main, Function<PrintStream, TrainingCommand> command, String[] args) {
        exitWhenTheLauncherIsGone();
        if (!"false".equals(System.getProperty("grad4j.simd"))
                && ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            Integer code = relaunchWithVectorApi(main, args);
            if (code != null) {
                System.exit(code);
            }
        }
        System.exit(run(command.apply(System.out), System.err, args));
    }

    /** The system property that tells a restarted JVM the pid of the launcher that started it. */
    static final String LAUNCHER_PID = "grad4j.examples.launcher.pid";
    /** The exit code of a restarted JVM whose launcher is gone: 128 + SIGHUP, as a shell's hang-up. */
    static final int LAUNCHER_GONE = 129;

    /** Runs this program again in a JVM with the Vector API module; null when that JVM cannot start. */
    private static Integer relaunchWithVectorApi(Class<?> main, String[] args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--add-modules");
        command.add("jdk.incubator.vector");
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-D" + LAUNCHER_PID + "=" + ProcessHandle.current().pid());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(List.of(args));
        Process child;
        try {
            child = new ProcessBuilder(command).inheritIO().start();
        } catch (IOException e) {
            return null;
        }
        // TERM and INT end this JVM through its shutdown hooks: pass the signal on (destroy sends
        // TERM) and wait, so that the command is over when the launcher is.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            child.destroy();
            try {
                if (!child.waitFor(10, TimeUnit.SECONDS)) {
                    child.destroyForcibly();
                }
            } catch (InterruptedException e) {
                child.destroyForcibly();
            }
        }, "grad4j-stop-child"));
        try {
            return child.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    /**
     * In a restarted JVM, a daemon thread that exits when the launcher is no longer its parent: a
     * KILL of the launcher runs no hook, and the orphan would otherwise train to the end.
     */
    private static void exitWhenTheLauncherIsGone() {
        String pid = System.getProperty(LAUNCHER_PID);
        if (pid == null) {
            return;
        }
        long launcher = Long.parseLong(pid);
        Thread watch = new Thread(() -> {
            while (ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L) == launcher) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
            System.exit(LAUNCHER_GONE);
        }, "grad4j-launcher-watch");
        watch.setDaemon(true);
        watch.start();
    }}

package org.grad4j.data;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): 60,000 training and 10,000 test images of
 * 28x28 gray pixels in ten classes, found on disk or downloaded, verified and loaded as
 * {@link ImageDataset}s {@code [N, 1, 28, 28]} with pixels in [0, 1] ({@code pixel / 255f}).
 *
 * <p>The four files ({@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte},
 * {@code t10k-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte}, each gzip-compressed with
 * {@code .gz} or not) are taken from a directory the user names, if one is named: the one given
 * with {@link #withDirectory(Path)}, or else the one in the environment variable
 * {@code GRAD4J_DATA} (each in torchvision's layout, {@code <dir>/FashionMNIST/raw}, too). A named
 * directory is used or refused, never passed over: when neither it nor its torchvision
 * subdirectory holds all four files, {@link #locate()} fails with a message saying what is wrong
 * with it. With no directory named, they are looked for, in this order, in
 * <ol>
 *   <li>the cache, {@code ~/.cache/grad4j/fashion-mnist}, then its {@code FashionMNIST/raw};
 *   <li>{@code /usr/share/datasets/fashion-mnist}, where Debian's package {@code dataset-fashion-mnist} puts them;
 * </ol>
 * and the first directory holding all four is used. Otherwise they are downloaded from the
 * official mirror into the cache (see {@link #locate()}).
 *
 * <p>Loading checks, from each file's header and before reading its payload, that it declares
 * 28x28 images and no more images or labels than the split holds (60,000 or 10,000); then that
 * image and label counts agree, that every label is below 10 and, unless switched off with {@link #withVerification(boolean)}, that the
 * SHA-256 of each decompressed file is the published one. Switching verification off reads
 * other datasets with the same file names and layout, such as the original MNIST.
 * <pre>{@code
 * ImageDataset train = FashionMnist.train();                      // search, download if needed
 * ImageDataset test = new FashionMnist().withDirectory(Path.of("data")).load(FashionMnist.Split.TEST);
 * String name = FashionMnist.className(test.label(0));            // "Ankle boot"
 * }</pre>
 * Instances are immutable: the {@code with} methods return new ones.
 */
public final class FashionMnist {
    /** The class names, indexed by label. */
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    /** Image height and width in pixels. */
    public static final int SIZE = 28;
    /** The official mirror the files are downloaded from when found nowhere. */
    public static final URI MIRROR = URI.create("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/");
    /** Where Debian's package {@code dataset-fashion-mnist} installs the files. */
    public static final Path SYSTEM_DIRECTORY = Path.of("/usr/share/datasets/fashion-mnist");
    /** The environment variable naming a directory that holds the files. */
    public static final String ENVIRONMENT_VARIABLE = "GRAD4J_DATA";
    /** The subdirectory torchvision keeps the files in, under its root. */
    public static final String TORCHVISION_SUBDIRECTORY = "FashionMNIST/raw";

    /** The two splits, with the published content of their files. */
    public enum Split {
        /** 60,000 training images. */
        TRAIN("train", 60_000,
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", 47_040_016L,
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", 60_008L),
        /** 10,000 test images. */
        TEST("t10k", 10_000,
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", 7_840_016L,
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", 10_008L);

        private final int size;
        private final IdxFile images;
        private final IdxFile labels;

        Split(String prefix, int size, String imagesSha256, long imagesBytes, String labelsSha256,
                long labelsBytes) {
            this.size = size;
            this.images = new IdxFile(prefix + "-images-idx3-ubyte", Idx.IMAGES, imagesSha256, imagesBytes);
            this.labels = new IdxFile(prefix + "-labels-idx1-ubyte", Idx.LABELS, labelsSha256, labelsBytes);
        }

        /**
         * The number of images in the published split.
         *
         * @return 60,000 or 10,000
         */
        public int size() {
            return size;
        }

        /**
         * The image file's name, without {@code .gz}.
         *
         * @return for example {@code train-images-idx3-ubyte}
         */
        public String imagesFile() {
            return images.name();
        }

        /**
         * The label file's name, without {@code .gz}.
         *
         * @return for example {@code train-labels-idx1-ubyte}
         */
        public String labelsFile() {
            return labels.name();
        }

        /**
         * The SHA-256 of the uncompressed image file as published.
         *
         * @return 64 lowercase hex digits
         */
        public String imagesSha256() {
            return images.sha256();
        }

        /**
         * The SHA-256 of the uncompressed label file as published.
         *
         * @return 64 lowercase hex digits
         */
        public String labelsSha256() {
            return labels.sha256();
        }

        IdxFile images() {
            return images;
        }

        IdxFile labels() {
            return labels;
        }
    }

    /** All four files, train then test. */
    static final List<IdxFile> FILES = List.of(Split.TRAIN.images, Split.TRAIN.labels, Split.TEST.images,
            Split.TEST.labels);

    private final Path directory;
    private final String dataVariable;
    private final Path cacheDirectory;
    private final Path systemDirectory;
    private final URI mirror;
    private final boolean verify;
    private final boolean download;

    /**
     * The default configuration: no explicit directory, {@code GRAD4J_DATA} from the environment,
     * the cache {@code ~/.cache/grad4j/fashion-mnist}, {@link #SYSTEM_DIRECTORY}, download from
     * {@link #MIRROR} allowed, verification on.
     */
    public FashionMnist() {
        this(null, System.getenv(ENVIRONMENT_VARIABLE),
                Path.of(System.getProperty("user.home"), ".cache", "grad4j", "fashion-mnist"),
                SYSTEM_DIRECTORY, MIRROR, true, true);
    }

    private FashionMnist(Path directory, String dataVariable, Path cacheDirectory, Path systemDirectory, URI mirror,
            boolean verify, boolean download) {
        this.directory = directory;
        this.dataVariable = dataVariable;
        this.cacheDirectory = cacheDirectory;
        this.systemDirectory = systemDirectory;
        this.mirror = mirror;
        this.verify = verify;
        this.download = download;
    }

    /**
     * The training split with the default configuration: {@code new FashionMnist().load(Split.TRAIN)}.
     *
     * @return {@code [60000, 1, 28, 28]}
     * @throws DataNotFoundException if the files are nowhere and cannot be downloaded
     * @throws IOException if a file is malformed ({@link IdxFormatException}), not the published one
     *     ({@link InvalidDatasetException}) or cannot be read
     */
    public static ImageDataset train() throws IOException {
        return new FashionMnist().load(Split.TRAIN);
    }

    /**
     * The test split with the default configuration: {@code new FashionMnist().load(Split.TEST)}.
     *
     * @return {@code [10000, 1, 28, 28]}
     * @throws DataNotFoundException if the files are nowhere and cannot be downloaded
     * @throws IOException if a file is malformed ({@link IdxFormatException}), not the published one
     *     ({@link InvalidDatasetException}) or cannot be read
     */
    public static ImageDataset test() throws IOException {
        return new FashionMnist().load(Split.TEST);
    }

    /**
     * The name of a class.
     *
     * @param label 0 to 9
     * @return for example {@code "Ankle boot"} for 9
     * @throws IllegalArgumentException if the label is not 0 to 9
     */
    public static String className(int label) {
        if (label < 0 || label >= CLASSES.size()) {
            throw new IllegalArgumentException("label: actual " + label + ", expected 0 to " + (CLASSES.size() - 1));
        }
        return CLASSES.get(label);
    }

    /**
     * This configuration with a directory named by the user: the files are taken from it (or its
     * torchvision subdirectory) and from nowhere else; {@code GRAD4J_DATA} is then ignored.
     *
     * @param directory the directory, or {@code null} for none
     * @return a new configuration
     */
    public FashionMnist withDirectory(Path directory) {
        return new FashionMnist(directory, dataVariable, cacheDirectory, systemDirectory, mirror, verify, download);
    }

    /**
     * This configuration with another value for {@code GRAD4J_DATA} than the environment's. Like
     * {@link #withDirectory}, a directory named there is used or refused.
     *
     * @param value a directory, or {@code null} (or blank) for unset
     * @return a new configuration
     */
    public FashionMnist withDataVariable(String value) {
        return new FashionMnist(directory, value, cacheDirectory, systemDirectory, mirror, verify, download);
    }

    /**
     * This configuration with another cache directory, searched first when no directory is named
     * and downloaded into.
     *
     * @param cacheDirectory the directory
     * @return a new configuration
     */
    public FashionMnist withCacheDirectory(Path cacheDirectory) {
        return new FashionMnist(directory, dataVariable, Objects.requireNonNull(cacheDirectory, "cacheDirectory"),
                systemDirectory, mirror, verify, download);
    }

    /**
     * This configuration with another system directory, searched last.
     *
     * @param systemDirectory the directory, or {@code null} to skip it
     * @return a new configuration
     */
    public FashionMnist withSystemDirectory(Path systemDirectory) {
        return new FashionMnist(directory, dataVariable, cacheDirectory, systemDirectory, mirror, verify, download);
    }

    /**
     * This configuration with another mirror: the files are fetched from {@code mirror + name + ".gz"}.
     *
     * @param mirror an {@code http} or {@code https} URI; a missing final {@code /} is added
     * @return a new configuration
     * @throws IllegalArgumentException if the URI is not absolute http or https
     */
    public FashionMnist withMirror(URI mirror) {
        Objects.requireNonNull(mirror, "mirror");
        String scheme = mirror.getScheme();
        if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
            throw new IllegalArgumentException("mirror: actual " + mirror + ", expected an http or https URI");
        }
        URI base = mirror.toString().endsWith("/") ? mirror : URI.create(mirror + "/");
        return new FashionMnist(directory, dataVariable, cacheDirectory, systemDirectory, base, verify, download);
    }

    /**
     * This configuration with SHA-256 verification on or off. Off reads other datasets stored
     * under the same names, such as the original MNIST; every other check stays.
     *
     * @param verify {@code true} to compare each file's SHA-256 with the published one
     * @return a new configuration
     */
    public FashionMnist withVerification(boolean verify) {
        return new FashionMnist(directory, dataVariable, cacheDirectory, systemDirectory, mirror, verify, download);
    }

    /**
     * This configuration with downloading allowed or not.
     *
     * @param download {@code false} to fail when the files are not found on disk
     * @return a new configuration
     */
    public FashionMnist withDownload(boolean download) {
        return new FashionMnist(directory, dataVariable, cacheDirectory, systemDirectory, mirror, verify, download);
    }

    /**
     * The directories searched, in order (see the class comment): the named directory and its
     * torchvision subdirectory when one is named, otherwise the cache, its torchvision
     * subdirectory and the system directory.
     *
     * @return the directories, without duplicates
     */
    public List<Path> searchPath() {
        List<Path> paths = new ArrayList<>();
        for (Place place : places()) {
            paths.add(place.path);
        }
        return paths;
    }

    /**
     * The directory holding all four files: the named directory (or its torchvision
     * subdirectory) when one is named, otherwise the first one found on the {@link #searchPath()},
     * or else the cache after downloading the missing files from the mirror (each written to a
     * temporary file and renamed only after its SHA-256 is checked).
     *
     * @return the directory
     * @throws DataNotFoundException if a named directory does not hold the four files (the message
     *     says what is wrong with it: it does not exist, is not a directory, is empty, lacks some
     *     files, or has a broken link or a directory in place of one), or if no directory on the
     *     search path holds them and the download is switched off or failed (the message lists the
     *     places searched and the ways to get the data)
     * @throws IOException if a directory cannot be read
     */
    public Path locate() throws IOException {
        List<Place> places = places();
        for (Place place : places) {
            if (problem(place.path) == null) {
                return place.path;
            }
        }
        if (namedDirectory() != null) {
            throw new DataNotFoundException(notInNamedDirectory(places), null);
        }
        IOException failure = null;
        if (download) {
            try {
                Download.missing(mirror, cacheDirectory, FILES);
                return cacheDirectory;
            } catch (IOException e) {
                failure = e;
            }
        }
        throw new DataNotFoundException(notFound(places, failure), failure);
    }

    /**
     * Loads one split: {@link #locate()}, then {@link #read(Path, Split, boolean)}.
     *
     * @param split the split
     * @return {@code [N, 1, 28, 28]} with pixels in [0, 1] and labels 0 to 9
     * @throws DataNotFoundException if the files are nowhere and cannot be downloaded
     * @throws IOException if a file is malformed ({@link IdxFormatException}), not the expected
     *     content ({@link InvalidDatasetException}) or cannot be read
     */
    public ImageDataset load(Split split) throws IOException {
        return read(locate(), split, verify);
    }

    /**
     * Loads one split from one directory, without searching or downloading.
     *
     * @param directory the directory holding the split's image and label files ({@code .gz} preferred)
     * @param split the split
     * @param verify whether to compare each file's SHA-256 with the published one
     * @return {@code [N, 1, 28, 28]} with pixels in [0, 1] and labels 0 to 9
     * @throws DataNotFoundException if a file is missing
     * @throws IdxFormatException if a file is not a well-formed IDX file with the right magic
     * @throws InvalidDatasetException if a header declares more images or labels than the split
     *     holds (checked before the payload is read) or images that are not 28x28, the counts
     *     differ, a label is 10 or more, or (with {@code verify}) a SHA-256 differs
     * @throws IOException if a file cannot be read
     */
    public static ImageDataset read(Path directory, Split split, boolean verify) throws IOException {
        Path imagesPath = file(directory, split.images);
        Path labelsPath = file(directory, split.labels);
        IdxArray images = Idx.read(imagesPath, Idx.IMAGES, (name, dims) -> {
            checkCount(name, dims[0], "images", split);
            if (dims[1] != SIZE || dims[2] != SIZE) {
                throw new InvalidDatasetException(name + ": image size: actual " + dims[1] + "x" + dims[2]
                        + " != expected " + SIZE + "x" + SIZE);
            }
        });
        IdxArray labels = Idx.read(labelsPath, Idx.LABELS,
                (name, dims) -> checkCount(name, dims[0], "labels", split));
        ImageDataset dataset = ImageDataset.fromIdx(images, labels, CLASSES.size());
        if (verify) {
            checkSha256(labels, split.labels);
            checkSha256(images, split.images);
        }
        return dataset;
    }

    /**
     * Refuses, from the header, more images or labels than the split holds: a header must not make
     * us read and allocate gigabytes.
     */
    private static void checkCount(String name, long count, String what, Split split) throws InvalidDatasetException {
        if (count > split.size) {
            throw new InvalidDatasetException(name + ": declares " + count + " " + what + ", expected at most "
                    + split.size + " (Fashion-MNIST's " + split.name().toLowerCase(Locale.ROOT) + " split)");
        }
    }

    private static void checkSha256(IdxArray content, IdxFile expected) throws InvalidDatasetException {
        String actual = content.sha256();
        if (!actual.equals(expected.sha256())) {
            throw new InvalidDatasetException(content.name() + ": sha256 of the decompressed IDX: actual " + actual
                    + " != expected " + expected.sha256());
        }
    }

    private static Path file(Path directory, IdxFile file) throws DataNotFoundException {
        Path gz = directory.resolve(file.gzName());
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        Path plain = directory.resolve(file.name());
        if (Files.isRegularFile(plain)) {
            return plain;
        }
        throw new DataNotFoundException(directory + ": missing " + file.name() + "[.gz]", null);
    }

    /**
     * What keeps {@code directory} from being used, or {@code null} when it holds all four files:
     * {@code does not exist}, {@code not a directory}, {@code empty}, a file in either form that is
     * a broken link or not a regular file, or the files missing.
     */
    private static String problem(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return brokenLink(directory, "does not exist");
        }
        if (!Files.isDirectory(directory)) {
            return "not a directory";
        }
        try (Stream<Path> entries = Files.list(directory)) {
            if (entries.findAny().isEmpty()) {
                return "empty";
            }
        }
        List<String> missing = new ArrayList<>();
        for (IdxFile file : FILES) {
            boolean found = false;
            for (String name : List.of(file.gzName(), file.name())) {
                Path path = directory.resolve(name);
                if (Files.isRegularFile(path)) {
                    found = true;
                } else if (!Files.exists(path)) {
                    String broken = brokenLink(path, null);
                    if (broken != null) {
                        return name + " is " + broken;
                    }
                } else {
                    return name + " is not a regular file";
                }
            }
            if (!found) {
                missing.add(file.name() + "[.gz]");
            }
        }
        return missing.isEmpty() ? null : "missing " + String.join(", ", missing);
    }

    /** {@code "a broken symbolic link to <target>"} if {@code path} is one, else {@code otherwise}. */
    private static String brokenLink(Path path, String otherwise) throws IOException {
        return Files.isSymbolicLink(path) ? "a broken symbolic link to " + Files.readSymbolicLink(path) : otherwise;
    }

    /** A directory searched and why it is on the list. */
    private static final class Place {
        final Path path;
        final String why;

        Place(Path path, String why) {
            this.path = path;
            this.why = why;
        }
    }

    private List<Place> places() {
        List<Place> places = new ArrayList<>();
        Place named = namedDirectory();
        if (named != null) {
            addWithTorchvision(places, named.path, named.why);
            return places;
        }
        addWithTorchvision(places, cacheDirectory, "the cache");
        if (systemDirectory != null) {
            add(places, systemDirectory, "Debian package dataset-fashion-mnist");
        }
        return places;
    }

    /** The directory the user named: the one given, else {@code GRAD4J_DATA}'s; {@code null} if none. */
    private Place namedDirectory() {
        if (directory != null) {
            return new Place(directory, "the directory given");
        }
        if (dataVariable != null && !dataVariable.isBlank()) {
            return new Place(Path.of(dataVariable), ENVIRONMENT_VARIABLE);
        }
        return null;
    }

    private static void addWithTorchvision(List<Place> places, Path root, String why) {
        add(places, root, why);
        add(places, root.resolve(TORCHVISION_SUBDIRECTORY), "torchvision layout under " + why);
    }

    private static void add(List<Place> places, Path path, String why) {
        for (Place p : places) {
            if (p.path.equals(path)) {
                return;
            }
        }
        places.add(new Place(path, why));
    }

    /** One message for a named directory that cannot be used: what is wrong with it and its subdirectory. */
    private static String notInNamedDirectory(List<Place> places) throws IOException {
        Place root = places.get(0);
        StringBuilder s = new StringBuilder();
        s.append(root.path).append(" (").append(root.why).append("): ").append(problem(root.path));
        Path raw = places.get(1).path;
        if (Files.exists(raw) || Files.isSymbolicLink(raw)) {
            s.append("; ").append(TORCHVISION_SUBDIRECTORY).append(": ").append(problem(raw));
        }
        return s.append("; expected the four Fashion-MNIST files (.gz or not) in it or in its ")
                .append(TORCHVISION_SUBDIRECTORY).toString();
    }

    private String notFound(List<Place> places, IOException failure) throws IOException {
        StringBuilder s = new StringBuilder("Fashion-MNIST not found. Searched, in order:\n");
        for (Place place : places) {
            s.append("  ").append(place.path).append(" (").append(place.why).append("): ")
                    .append(problem(place.path)).append('\n');
        }
        s.append("  (").append(ENVIRONMENT_VARIABLE).append(" is not set)\n");
        if (failure == null) {
            s.append("Download from ").append(mirror).append(": switched off\n");
        } else {
            s.append("Download from ").append(mirror).append(" into ").append(cacheDirectory).append(" failed: ")
                    .append(failure.getMessage()).append('\n');
        }
        s.append("Get the data in one of three ways:\n");
        s.append("  apt-get install dataset-fashion-mnist (Debian and Ubuntu; installs ").append(SYSTEM_DIRECTORY)
                .append(")\n");
        s.append("  ").append(ENVIRONMENT_VARIABLE).append("=/path/to/dir, a directory holding the four files")
                .append(" (.gz or not) or a torchvision root holding ").append(TORCHVISION_SUBDIRECTORY).append('\n');
        s.append("  network access to ").append(mirror).append(" (the files are cached in ").append(cacheDirectory)
                .append(')');
        return s.toString();
    }
}

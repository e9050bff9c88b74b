package org.grad4j.data;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * A strict reader of IDX files of unsigned bytes, gzip-compressed or not.
 *
 * <p>The format (LeCun's MNIST page): a big-endian magic {@code 0x000008RR} where {@code 0x08}
 * is the element type (unsigned byte) and {@code RR} the rank; then {@code RR} big-endian 32-bit
 * dims; then exactly {@code dims[0] * ... * dims[RR-1]} bytes, row-major. Labels are
 * {@code 0x00000801} ({@code [N]}), images {@code 0x00000803} ({@code [N, H, W]}). Dims are read
 * as unsigned.
 *
 * <p>Gzip is recognised by its magic {@code 1F 8B}, whatever the file's name, and decompressed
 * through Commons Compress (concatenated members are one stream, as {@code gunzip} treats them).
 *
 * <p>Everything is checked: the magic, the element type, the rank, that the declared size fits
 * a Java array, and that the payload holds exactly the declared number of bytes, no fewer and no
 * more (the stream is read to its end, which also checks the gzip CRC32 and length). A header
 * that declares more than the stream holds is refused without allocating the declared size: for
 * an uncompressed file the file's size is checked first; a gzip file of known size (a file, a
 * byte array) cannot hold more than 1032 times its size (deflate's largest expansion), so a
 * larger declared size is refused from the header; beyond that a gzip stream's decompressed
 * size is unknown in advance, so the payload buffer starts at 64 KiB and doubles only while the
 * stream keeps delivering bytes, which bounds memory by about twice what the stream really holds.
 *
 * <p>Every failure is an {@link IdxFormatException} whose message names the file, what was found
 * and what was expected, for example
 * {@code train-images-idx3-ubyte.gz: magic: actual 0x00000801 != expected 0x00000803}.
 */
public final class Idx {
    /** The IDX element type of unsigned bytes, the third byte of the magic. */
    public static final int UNSIGNED_BYTE = 0x08;
    /** The magic of a label file: unsigned bytes, rank 1. */
    public static final int LABELS = 0x00000801;
    /** The magic of an image file: unsigned bytes, rank 3. */
    public static final int IMAGES = 0x00000803;
    /** The largest payload read, in bytes: the largest array a HotSpot JVM reliably allocates. */
    public static final int MAX_BYTES = Integer.MAX_VALUE - 8;

    /**
     * The most bytes deflate can expand one compressed byte into (258-byte matches coded in two
     * bits), so a gzip file of {@code n} bytes holds at most {@code 1032 * n} decompressed bytes.
     */
    static final long MAX_DEFLATE_RATIO = 1032;
    /** The first payload buffer for a stream of unknown length; it doubles from there. */
    static final int FIRST_CHUNK = 1 << 16;
    private static final int ANY = -1;
    private static final HeaderCheck NO_CHECK = (name, dims) -> { };

    /** A caller's check of the declared dims, run before the payload is allocated. */
    interface HeaderCheck {
        /**
         * Refuses a header by throwing.
         *
         * @param name the file's name, for messages
         * @param dims the declared dims, unsigned
         * @throws InvalidDatasetException to refuse the file
         */
        void check(String name, long[] dims) throws InvalidDatasetException;
    }

    private Idx() {
    }

    /**
     * Reads an IDX file of unsigned bytes of any rank.
     *
     * @param file the file, gzip-compressed or not
     * @return its content
     * @throws IdxFormatException if the file is not a complete, well-formed IDX file of unsigned bytes
     * @throws IOException if the file cannot be read
     */
    public static IdxArray read(Path file) throws IOException {
        return readFile(file, ANY);
    }

    /**
     * Reads an IDX file that must have the given magic, for example {@link #IMAGES}.
     *
     * @param file the file, gzip-compressed or not
     * @param expectedMagic {@code 0x000008RR} with a rank {@code RR} from 1 to 255
     * @return its content
     * @throws IllegalArgumentException if {@code expectedMagic} is not an unsigned-byte IDX magic
     * @throws IdxFormatException if the file has another magic or is not complete and well-formed
     * @throws IOException if the file cannot be read
     */
    public static IdxArray read(Path file, int expectedMagic) throws IOException {
        checkExpectedMagic(expectedMagic);
        return readFile(file, expectedMagic);
    }

    /**
     * Reads IDX content of any rank from a stream, to its end. The stream is not closed.
     *
     * @param in the bytes of an IDX file, gzip-compressed or not
     * @param name the name used in error messages, usually the file name
     * @return the content
     * @throws IdxFormatException if the bytes are not a complete, well-formed IDX file of unsigned bytes
     * @throws IOException if the stream fails
     */
    public static IdxArray read(InputStream in, String name) throws IOException {
        return read(in, name, ANY, -1);
    }

    /**
     * Reads IDX content that must have the given magic from a stream, to its end. The stream is
     * not closed.
     *
     * @param in the bytes of an IDX file, gzip-compressed or not
     * @param name the name used in error messages, usually the file name
     * @param expectedMagic {@code 0x000008RR} with a rank {@code RR} from 1 to 255
     * @return the content
     * @throws IllegalArgumentException if {@code expectedMagic} is not an unsigned-byte IDX magic
     * @throws IdxFormatException if the content has another magic or is not complete and well-formed
     * @throws IOException if the stream fails
     */
    public static IdxArray read(InputStream in, String name, int expectedMagic) throws IOException {
        checkExpectedMagic(expectedMagic);
        return read(in, name, expectedMagic, -1);
    }

    /**
     * Parses the bytes of an IDX file of any rank held in memory.
     *
     * @param content the whole file, gzip-compressed or not
     * @param name the name used in error messages
     * @return the content, with its own copy of the payload
     * @throws IdxFormatException if the bytes are not a complete, well-formed IDX file of unsigned bytes
     */
    public static IdxArray parse(byte[] content, String name) throws IdxFormatException {
        try {
            return read(new ByteArrayInputStream(content), name, ANY, content.length);
        } catch (IdxFormatException e) {
            throw e;
        } catch (IOException e) {
            // A ByteArrayInputStream does not fail; only the gzip layer can, and it is mapped above.
            throw new IllegalStateException(name + ": unexpected I/O failure on a byte array", e);
        }
    }

    private static IdxArray readFile(Path file, int expectedMagic) throws IOException {
        return read(file, expectedMagic, NO_CHECK);
    }

    /** Reads a file whose header {@code check} accepts, with the given magic (or {@link #ANY}). */
    static IdxArray read(Path file, int expectedMagic, HeaderCheck check) throws IOException {
        Path fileName = file.getFileName();
        String name = fileName == null ? file.toString() : fileName.toString();
        long size = Files.isRegularFile(file) ? Files.size(file) : -1;
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, name, expectedMagic, size, check);
        }
    }

    private static void checkExpectedMagic(int magic) {
        if ((magic & 0xFFFFFF00) != 0x00000800 || (magic & 0xFF) == 0) {
            throw new IllegalArgumentException(String.format(
                    "expectedMagic: actual 0x%08X, expected 0x00000801 to 0x000008FF (unsigned bytes, rank 1 to 255)",
                    magic));
        }
    }

    private static IdxArray read(InputStream raw, String name, int expectedMagic, long rawSize) throws IOException {
        return read(raw, name, expectedMagic, rawSize, NO_CHECK);
    }

    private static IdxArray read(InputStream raw, String name, int expectedMagic, long rawSize, HeaderCheck check)
            throws IOException {
        Objects.requireNonNull(raw, "in");
        Objects.requireNonNull(name, "name");
        BufferedInputStream buffered = new BufferedInputStream(raw, FIRST_CHUNK);
        buffered.mark(4);
        byte[] first = buffered.readNBytes(4);
        buffered.reset();
        if (first.length == 0) {
            throw new IdxFormatException(name + ": empty file, expected gzip or IDX data");
        }
        boolean gzip = first.length >= 2 && (first[0] & 0xFF) == 0x1F && (first[1] & 0xFF) == 0x8B;
        if (!gzip) {
            if (first[0] != 0 || (first.length >= 2 && first[1] != 0)) {
                throw new IdxFormatException(name + ": not gzip and not IDX: first bytes 0x" + hex(first)
                        + ", expected 0x1F8B (gzip) or 0x0000 (IDX)");
            }
            return new Parser(name, buffered, rawSize, -1, check).parse(expectedMagic);
        }
        GzipCompressorInputStream gz = null;
        Parser parser = null;
        try {
            gz = GzipCompressorInputStream.builder()
                    .setInputStream(buffered)
                    .setDecompressConcatenated(true)
                    .get();
            parser = new Parser(name, gz, -1, rawSize < 0 ? -1 : rawSize * MAX_DEFLATE_RATIO, check);
            return parser.parse(expectedMagic);
        } catch (IdxFormatException | InvalidDatasetException e) {
            throw e;
        } catch (EOFException e) {
            // Count what the inflater produced, including the bytes of the read call that failed.
            long inflated = gz == null ? 0 : gz.getUncompressedCount();
            throw truncatedGzip(name, inflated, parser == null ? -1 : parser.expectedTotal, e);
        } catch (IOException e) {
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (reason.endsWith(".")) {
                reason = reason.substring(0, reason.length() - 1);
            }
            throw new IdxFormatException(name + ": corrupt gzip: " + reason, e);
        }
    }

    private static IdxFormatException truncatedGzip(String name, long consumed, long total, EOFException e) {
        String where;
        if (total < 0) {
            where = consumed + " decompressed bytes, inside the IDX header";
        } else if (consumed < total) {
            where = consumed + " of " + total + " decompressed bytes";
        } else {
            where = consumed + " decompressed bytes (the IDX header declares " + total
                    + "), before the end of the gzip stream";
        }
        return new IdxFormatException(name + ": truncated gzip: the compressed data ends after " + where, e);
    }

    private static String hex(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : bytes) {
            s.append(String.format("%02X", b & 0xFF));
        }
        return s.toString();
    }

    /** The state of one read: what the error messages need to say how far it got. */
    private static final class Parser {
        private final String name;
        private final InputStream in;
        /** The number of bytes left in an uncompressed file, or -1 when unknown (gzip, streams). */
        private final long rawSize;
        /** The most bytes a gzip file of known size can decompress to, or -1 when unknown. */
        private final long maxInflated;
        private final HeaderCheck check;
        /** Header plus declared payload, once the header is read; -1 before. */
        long expectedTotal = -1;

        Parser(String name, InputStream in, long rawSize, long maxInflated, HeaderCheck check) {
            this.name = name;
            this.in = in;
            this.rawSize = rawSize;
            this.maxInflated = maxInflated;
            this.check = check;
        }

        IdxArray parse(int expectedMagic) throws IOException {
            byte[] magicBytes = new byte[4];
            int n = readFully(magicBytes, 0, 4);
            if (n < 4) {
                throw new IdxFormatException(name + ": truncated header: expected at least 4 bytes, read " + n);
            }
            int magic = getInt(magicBytes, 0);
            checkMagic(magic, expectedMagic);
            int rank = magic & 0xFF;
            int headerLength = 4 + 4 * rank;
            byte[] dimBytes = new byte[4 * rank];
            n = readFully(dimBytes, 0, dimBytes.length);
            if (n < dimBytes.length) {
                throw new IdxFormatException(name + ": truncated header: expected " + headerLength
                        + " bytes for rank " + rank + ", read " + (4 + n));
            }
            long[] declaredDims = new long[rank];
            for (int i = 0; i < rank; i++) {
                declaredDims[i] = getInt(dimBytes, 4 * i) & 0xFFFFFFFFL;
            }
            check.check(name, declaredDims);
            int declared = checkSize(declaredDims);
            expectedTotal = headerLength + (long) declared;
            String what = rank == 1 ? "label" : rank == 3 ? "image" : "data";
            if (maxInflated >= 0 && expectedTotal > maxInflated) {
                throw new IdxFormatException(name + ": dims " + Arrays.toString(declaredDims) + " declare "
                        + expectedTotal + " bytes with the header, more than a gzip file of " + maxInflated
                        / MAX_DEFLATE_RATIO + " bytes can hold (deflate expands at most " + MAX_DEFLATE_RATIO
                        + " times)");
            }

            byte[] data;
            if (rawSize >= 0) {
                long available = rawSize - headerLength;
                if (available < declared) {
                    throw truncated(what, declared, available);
                }
                if (available > declared) {
                    throw longer(what, declared, available);
                }
                data = new byte[declared];
                int read = readFully(data, 0, declared);
                if (read < declared) {
                    throw truncated(what, declared, read);
                }
            } else {
                data = readGrowing(declared, what);
            }
            long extra = drain();
            if (extra > 0) {
                throw longer(what, declared, declared + extra);
            }
            int[] dims = new int[rank];
            for (int i = 0; i < rank; i++) {
                dims[i] = (int) declaredDims[i];
            }
            return new IdxArray(name, magic, dims, data);
        }

        private void checkMagic(int magic, int expectedMagic) throws IdxFormatException {
            if (expectedMagic != ANY) {
                if (magic != expectedMagic) {
                    throw new IdxFormatException(String.format("%s: magic: actual 0x%08X != expected 0x%08X",
                            name, magic, expectedMagic));
                }
                return;
            }
            if ((magic & 0xFFFF0000) != 0) {
                throw new IdxFormatException(String.format(
                        "%s: magic: actual 0x%08X, expected 0x000008NN (IDX of unsigned bytes)", name, magic));
            }
            int type = (magic >>> 8) & 0xFF;
            if (type != UNSIGNED_BYTE) {
                throw new IdxFormatException(String.format(
                        "%s: element type: actual 0x%02X != expected 0x%02X (unsigned byte)", name, type, UNSIGNED_BYTE));
            }
            if ((magic & 0xFF) == 0) {
                throw new IdxFormatException(name + ": rank: actual 0, expected 1 to 255");
            }
        }

        /** The payload size the dims declare, refused if no Java array can hold it. */
        private int checkSize(long[] dims) throws IdxFormatException {
            BigInteger product = BigInteger.ONE;
            long largest = 0;
            for (long d : dims) {
                product = product.multiply(BigInteger.valueOf(d));
                largest = Math.max(largest, d);
            }
            BigInteger max = BigInteger.valueOf(MAX_BYTES);
            String what = dims.length == 1 ? "label" : dims.length == 3 ? "image" : "data";
            if (product.compareTo(max) > 0) {
                throw new IdxFormatException(name + ": dims " + Arrays.toString(dims) + " declare " + product + " "
                        + what + " bytes, more than a Java array holds (" + MAX_BYTES + ")");
            }
            if (largest > MAX_BYTES) {
                throw new IdxFormatException(name + ": dims " + Arrays.toString(dims) + ": dim " + largest
                        + " is more than a Java array holds (" + MAX_BYTES + ")");
            }
            return product.intValueExact();
        }

        /**
         * Reads {@code declared} bytes from a stream of unknown length without trusting the header:
         * the buffer grows (doubling, capped at {@code declared}) only when the stream has filled it.
         */
        private byte[] readGrowing(int declared, String what) throws IOException {
            byte[] buf = new byte[Math.min(declared, FIRST_CHUNK)];
            int filled = 0;
            while (filled < declared) {
                if (filled == buf.length) {
                    buf = Arrays.copyOf(buf, (int) Math.min(declared, 2L * buf.length));
                }
                int r = in.read(buf, filled, buf.length - filled);
                if (r < 0) {
                    break;
                }
                filled += r;
            }
            if (filled < declared) {
                throw truncated(what, declared, filled);
            }
            return buf;
        }

        private int readFully(byte[] b, int off, int len) throws IOException {
            int total = 0;
            while (total < len) {
                int r = in.read(b, off + total, len - total);
                if (r < 0) {
                    break;
                }
                total += r;
            }
            return total;
        }

        /** Reads to the end of the stream (which makes the gzip layer check its trailer). */
        private long drain() throws IOException {
            byte[] scratch = new byte[8192];
            long extra = 0;
            int r;
            while ((r = in.read(scratch)) >= 0) {
                extra += r;
            }
            return extra;
        }

        private IdxFormatException truncated(String what, long declared, long read) {
            return new IdxFormatException(name + ": truncated: expected " + declared + " " + what
                    + " bytes, read " + read);
        }

        private IdxFormatException longer(String what, long declared, long found) {
            return new IdxFormatException(name + ": payload longer than declared: expected " + declared + " "
                    + what + " bytes, found " + found);
        }

        private static int getInt(byte[] b, int at) {
            return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
        }
    }
}

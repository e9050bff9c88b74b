package org.grad4j.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/** IDX and gzip fixtures built in memory. */
final class Fixtures {
    private Fixtures() {
    }

    /** An IDX file: the magic, the dims (as unsigned 32-bit values) and the payload, as given. */
    static byte[] idx(int magic, long[] dims, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + payload.length);
        b.putInt(magic);
        for (long d : dims) {
            b.putInt((int) d);
        }
        b.put(payload);
        return b.array();
    }

    static byte[] labels(byte... values) {
        return idx(Idx.LABELS, new long[] {values.length}, values);
    }

    /** {@code n} random labels below {@code classes}. */
    static byte[] randomLabels(int n, int classes, Random rng) {
        byte[] values = new byte[n];
        for (int i = 0; i < n; i++) {
            values[i] = (byte) rng.nextInt(classes);
        }
        return labels(values);
    }

    /** {@code n} random images of {@code h x w} bytes. */
    static byte[] images(int n, int h, int w, Random rng) {
        byte[] pixels = new byte[n * h * w];
        rng.nextBytes(pixels);
        return idx(Idx.IMAGES, new long[] {n, h, w}, pixels);
    }

    static byte[] gzip(byte[] raw) {
        return gzip(raw, Deflater.DEFAULT_COMPRESSION);
    }

    /** Gzip at a given level; level 0 gives stored blocks, whose output tracks the input byte for byte. */
    static byte[] gzip(byte[] raw, int level) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out) {
            {
                def.setLevel(level);
            }
        }) {
            gz.write(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static Path write(Path dir, String name, byte[] content) throws IOException {
        Files.createDirectories(dir);
        return Files.write(dir.resolve(name), content);
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Bytes allocated so far by the current thread, or -1 where the JVM cannot tell. */
    static long allocatedBytes() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        if (bean instanceof com.sun.management.ThreadMXBean) {
            com.sun.management.ThreadMXBean hotspot = (com.sun.management.ThreadMXBean) bean;
            if (hotspot.isThreadAllocatedMemorySupported() && hotspot.isThreadAllocatedMemoryEnabled()) {
                return hotspot.getThreadAllocatedBytes(Thread.currentThread().getId());
            }
        }
        return -1;
    }
}

package org.grad4j.data;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.grad4j.core.io.AtomicFiles;

/**
 * Downloads gzip-compressed IDX files into a directory. A file is written to a temporary
 * {@code <name>.gz.<random>.part} next to its target and renamed to {@code <name>.gz} only after
 * it decompressed into a well-formed IDX file whose SHA-256 is the expected one; on any failure
 * the temporary file is deleted, so no file that looks complete is left behind.
 */
final class Download {
    static final int CONNECT_TIMEOUT_MILLIS = 30_000;
    static final int READ_TIMEOUT_MILLIS = 60_000;

    private Download() {
    }

    /**
     * Downloads every file that is in neither compressed nor uncompressed form in {@code directory}.
     */
    static void missing(URI mirror, Path directory, List<IdxFile> files) throws IOException {
        Files.createDirectories(directory);
        for (IdxFile file : files) {
            if (!Files.isRegularFile(directory.resolve(file.gzName()))
                    && !Files.isRegularFile(directory.resolve(file.name()))) {
                fetch(mirror, directory, file);
            }
        }
    }

    /** Downloads {@code mirror + name + ".gz"} to {@code directory/name.gz}, verified. */
    static Path fetch(URI mirror, Path directory, IdxFile file) throws IOException {
        String fileName = file.gzName();
        URI uri = mirror.resolve(fileName);
        // The body stays in memory (at most the bounded compressed size) until it is verified, so a
        // short or wrong download never leaves a file behind; only a verified one is written.
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        get(uri, body, maxCompressed(file));
        byte[] bytes = body.toByteArray();
        IdxArray content = Idx.read(new ByteArrayInputStream(bytes), fileName, file.magic());
        if (file.sha256() != null) {
            String actual = content.sha256();
            if (!actual.equals(file.sha256())) {
                throw new InvalidDatasetException(fileName + " from " + uri
                        + ": sha256 of the decompressed IDX: actual " + actual + " != expected " + file.sha256());
            }
        }
        Path target = directory.resolve(fileName);
        AtomicFiles.write(target, bytes);
        return target;
    }

    static long maxCompressed(IdxFile file) {
        // Unknown size: the body is held in memory, so at most what one Java array holds.
        return file.bytes() < 0 ? Idx.MAX_BYTES : file.bytes() + file.bytes() / 100 + 4096;
    }

    private static void get(URI uri, OutputStream out, long limit) throws IOException {
        URLConnection connection = uri.toURL().openConnection();
        if (!(connection instanceof HttpURLConnection)) {
            throw new IOException("GET " + uri + ": not an HTTP URL");
        }
        HttpURLConnection http = (HttpURLConnection) connection;
        http.setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
        http.setReadTimeout(READ_TIMEOUT_MILLIS);
        http.setRequestProperty("Accept-Encoding", "identity");
        try {
            int status;
            try {
                status = http.getResponseCode();
            } catch (IOException e) {
                throw new IOException("GET " + uri + ": " + e, e);
            }
            if (status != HttpURLConnection.HTTP_OK) {
                throw new IOException("GET " + uri + ": HTTP " + status + ", expected 200");
            }
            long length = http.getContentLengthLong();
            if (limit >= 0 && length > limit) {
                throw new IOException("GET " + uri + ": Content-Length " + length + ", expected at most " + limit);
            }
            long received = 0;
            try (InputStream in = http.getInputStream()) {
                byte[] buffer = new byte[1 << 16];
                while (true) {
                    int r;
                    try {
                        r = in.read(buffer);
                    } catch (IOException e) {
                        throw cutShort(uri, received, length, e);
                    }
                    if (r < 0) {
                        break;
                    }
                    received += r;
                    if (limit >= 0 && received > limit) {
                        throw new IOException("GET " + uri + ": body longer than " + limit + " bytes");
                    }
                    out.write(buffer, 0, r);
                }
            }
            if (length >= 0 && received != length) {
                throw cutShort(uri, received, length, null);
            }
        } finally {
            http.disconnect();
        }
    }

    private static IOException cutShort(URI uri, long received, long length, IOException cause) {
        return new IOException("GET " + uri + ": body cut short: received " + received
                + (length >= 0 ? " of " + length : "") + " bytes", cause);
    }
}

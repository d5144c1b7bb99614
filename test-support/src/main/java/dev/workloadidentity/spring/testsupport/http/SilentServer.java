package dev.workloadidentity.spring.testsupport.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A black-holed endpoint on loopback: accepts connections and never answers, not even a TLS handshake, the way a
 * dropped route or a stuck proxy looks to a client.
 */
public final class SilentServer implements AutoCloseable {

    private final ServerSocket socket;

    private final List<Socket> accepted = new CopyOnWriteArrayList<>();

    private SilentServer(ServerSocket socket) {
        this.socket = socket;
        Thread acceptor = new Thread(this::accept, "silent-server-" + socket.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** @return a silent server on a random loopback port */
    public static SilentServer start() {
        try {
            return new SilentServer(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not open a loopback port", ex);
        }
    }

    /** @return its port */
    public int port() {
        return this.socket.getLocalPort();
    }

    /** @return {@code https://127.0.0.1:<port>} */
    public String httpsUrl() {
        return "https://127.0.0.1:" + port();
    }

    /** @return how many connections it has accepted */
    public int acceptedConnections() {
        return this.accepted.size();
    }

    private void accept() {
        try {
            while (true) {
                this.accepted.add(this.socket.accept());
            }
        }
        catch (IOException ex) {
            // closed
        }
    }

    /** Closes the port and every accepted connection. */
    @Override
    public void close() throws IOException {
        this.socket.close();
        for (Socket connection : this.accepted) {
            connection.close();
        }
    }

}

package dev.workloadidentity.spring.testsupport.token;

/** A token a fake service or the fake Entra rejects; the message says why and never contains the token. */
public class InvalidTokenException extends Exception {

    private static final long serialVersionUID = 1L;

    public InvalidTokenException(String reason) {
        super(reason);
    }

}

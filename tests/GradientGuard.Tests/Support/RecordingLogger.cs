using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.Extensions.Logging;

namespace GradientGuard.Tests.Support;

/// <summary>Keeps every log event with its structured fields; or throws, as a logger whose disk is full does.</summary>
internal sealed class RecordingLogger : ILogger
{
    private readonly Exception? failure;

    public RecordingLogger(Exception? failure = null) => this.failure = failure;

    public List<(LogLevel Level, EventId EventId, string Message, Dictionary<string, object?> Fields)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (failure is not null)
            throw failure;
        var fields = ((IEnumerable<KeyValuePair<string, object?>>)state!).ToDictionary(kv => kv.Key, kv => kv.Value);
        Entries.Add((logLevel, eventId, formatter(state, exception), fields));
    }
}

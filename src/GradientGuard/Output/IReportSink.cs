using System;

namespace GradientGuard.Output;

/// <summary>One place the monitor publishes checks and diagnostics to. A sink may throw; <see cref="ReportSinks"/> contains it.</summary>
internal interface IReportSink : IDisposable
{
    /// <summary>What the sink writes to, as a failure report names it: "JSON Lines log '/runs/a.jsonl'".</summary>
    string Description { get; }

    void WriteCheck(GradientReport report);

    void WriteDiagnostic(GradientDiagnostic diagnostic);
}

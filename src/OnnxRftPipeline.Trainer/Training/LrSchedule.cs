namespace OnnxRftPipeline.Trainer.Training;

/// <summary>Linear warm-up then cosine decay to MinRatio·peak; a pure function of the step so resume needs no scheduler state.</summary>
public sealed record LrSchedule(double Peak, long WarmupSteps, long TotalSteps, double MinRatio)
{
    /// <summary>Learning rate for optimizer step <paramref name="step"/> (0-based).</summary>
    public double At(long step)
    {
        if (WarmupSteps > 0 && step < WarmupSteps) return Peak * (step + 1) / WarmupSteps;
        long decay = Math.Max(1, TotalSteps - WarmupSteps);
        double progress = Math.Clamp((double)(step - WarmupSteps) / decay, 0, 1);
        double min = Peak * MinRatio;
        return min + (Peak - min) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}

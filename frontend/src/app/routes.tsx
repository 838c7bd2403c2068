import type { RouteObject } from 'react-router';
import { Navigate } from 'react-router';
import { LoginRoute } from '@/features/auth/routes/LoginRoute';
import { CiRoute } from '@/features/ci/routes/CiRoute';
import { CiRunRoute } from '@/features/ci/routes/CiRunRoute';
import { ProjectCiRoute } from '@/features/ci/routes/ProjectCiRoute';
import { DeploymentRoute } from '@/features/deployments/routes/DeploymentRoute';
import { DeploymentsRoute } from '@/features/deployments/routes/DeploymentsRoute';
import { JobRoute } from '@/features/jobs/routes/JobRoute';
import { JobsRoute } from '@/features/jobs/routes/JobsRoute';
import { DatasetRoute } from '@/features/datasets/routes/DatasetRoute';
import { ProjectDatasetsRoute } from '@/features/datasets/routes/ProjectDatasetsRoute';
import { ModelRoute } from '@/features/models/routes/ModelRoute';
import { ModelsRoute } from '@/features/models/routes/ModelsRoute';
import { ProjectModelsRoute } from '@/features/models/routes/ProjectModelsRoute';
import { DeploymentMonitoringRoute } from '@/features/monitoring/routes/DeploymentMonitoringRoute';
import { MonitoringRoute } from '@/features/monitoring/routes/MonitoringRoute';
import { ProjectRoute } from '@/features/projects/routes/ProjectRoute';
import { ProjectsRoute } from '@/features/projects/routes/ProjectsRoute';
import { ProjectRubricRoute } from '@/features/rubric/routes/ProjectRubricRoute';
import { TeamRubricRoute } from '@/features/rubric/routes/TeamRubricRoute';
import { AppLayout } from './layout/AppLayout';
import { ModelVersionPage } from './ModelVersionPage';
import { NotFoundRoute } from './NotFoundRoute';
import { RequireAuth } from './RequireAuth';
import { RouteErrorBoundary } from './RouteErrorBoundary';

/**
 * Every screen of the app. To add an area: export a route component from
 * src/features/<area>/routes/<Name>Route.tsx and list it under `appRoutes`.
 */
export const appRoutes: RouteObject[] = [
  { index: true, element: <Navigate to="/projects" replace /> },
  { path: 'projects', element: <ProjectsRoute /> },
  { path: 'projects/:slug', element: <ProjectRoute /> },
  { path: 'projects/:slug/rubric', element: <ProjectRubricRoute /> },
  { path: 'rubric', element: <TeamRubricRoute /> },
  { path: 'ci', element: <CiRoute /> },
  { path: 'projects/:slug/ci', element: <ProjectCiRoute /> },
  { path: 'projects/:slug/ci/runs/:runId', element: <CiRunRoute /> },
  { path: 'models', element: <ModelsRoute /> },
  { path: 'projects/:slug/models', element: <ProjectModelsRoute /> },
  { path: 'projects/:slug/models/:model', element: <ModelRoute /> },
  {
    path: 'projects/:slug/models/:model/versions/:number',
    element: <ModelVersionPage />,
  },
  { path: 'projects/:slug/datasets', element: <ProjectDatasetsRoute /> },
  { path: 'projects/:slug/datasets/:name', element: <DatasetRoute /> },
  { path: 'jobs', element: <JobsRoute /> },
  { path: 'jobs/:id', element: <JobRoute /> },
  { path: 'deployments', element: <DeploymentsRoute /> },
  { path: 'deployments/:project/:name', element: <DeploymentRoute /> },
  { path: 'monitoring', element: <MonitoringRoute /> },
  { path: 'monitoring/:project/:deployment', element: <DeploymentMonitoringRoute /> },
  { path: '*', element: <NotFoundRoute /> },
];

export const routes: RouteObject[] = [
  {
    errorElement: <RouteErrorBoundary />,
    children: [
      { path: '/login', element: <LoginRoute /> },
      {
        element: <RequireAuth />,
        children: [{ path: '/', element: <AppLayout />, children: appRoutes }],
      },
    ],
  },
];
